/**
 * Directory sync: snapshots (partial ones upsert, full ones suspend users they no longer list and revoke their
 * devices), status, a Keycloak pull through its admin REST API from a local HTTPS server answering recorded Keycloak
 * responses (its own CA, client-credentials token, paging, sub-groups), and the schedule that turns due pulls into jobs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { KEYCLOAK_SYNC_JOB } from '../../src/modules/access/tenants/keycloak-sync.service.js';
import { accessServices } from '../../src/modules/access/access.services.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { enroll, generateToken } from '../helpers/access-enroll.js';
import { selfSigned, serverCertificate } from '../helpers/egress-pki.js';
import { movableClock } from '../helpers/fleet-rows.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/keycloak/${name}`, import.meta.url), 'utf8');
const CLIENT_SECRET = 'kc-secret-0123456789';
const ENG = '1a2b3c4d-0000-4000-8000-00000000e001';
const SRE = '1a2b3c4d-0000-4000-8000-00000000e002';

/** A stand-in Keycloak over HTTPS: the token endpoint for the right client secret, and the admin API for its token. */
async function fakeKeycloak() {
  const ca = await selfSigned({ name: 'keycloak' });
  const tls = await serverCertificate(ca);
  const token = JSON.parse(fixture('token.json')).access_token;
  const requests: string[] = [];
  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://x');
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      const send = (status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      if (req.method === 'POST' && url.pathname === '/realms/corp/protocol/openid-connect/token') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== 'rampart-sync' || form.get('client_secret') !== CLIENT_SECRET) return send(401, fixture('error-unauthorized-client.json'));
        return send(200, fixture('token.json'));
      }
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, '{"error":"HTTP 401 Unauthorized"}');
      const first = Number(url.searchParams.get('first') ?? 0);
      const page = (file: string) => send(200, first === 0 ? fixture(file) : '[]');
      switch (url.pathname) {
        case '/admin/realms/corp/users': return page('users.json');
        case '/admin/realms/corp/groups': return page('groups.json');
        case `/admin/realms/corp/groups/${ENG}/children`: return page('children-engineering.json');
        case `/admin/realms/corp/groups/${ENG}/members`: return page('members-engineering.json');
        case `/admin/realms/corp/groups/${SRE}/members`: return page('members-sre.json');
        default: return send(404, '{"error":"Not Found"}');
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caPem: ca.certPem, requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('access directory sync', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let kc: Awaited<ReturnType<typeof fakeKeycloak>>;
  const clock = movableClock();
  const call = (method: 'GET' | 'POST', url: string, payload?: object, who: SignedIn = admin) => r.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });

  before(async () => {
    r = await createTestRampart({ now: clock.now });
    admin = await signIn(r, { roles: ['admin'] });
    kc = await fakeKeycloak();
  });
  after(async () => {
    await kc.close();
    await r.cleanup();
  });

  const userByEmail = (email: string) => r.core.identity.users.findByEmail(email);

  test('partial snapshots upsert; a full one suspends the missing user and revokes their devices', async () => {
    const snap = (users: object[], extra: object = {}) => call('POST', '/v1/admin/directory-sync/snapshot', { source: 'scim', users, ...extra });
    const dana = { external_id: 'u-dana', email: 'dana@corp.example', name: 'Dana' };
    const eve = { external_id: 'u-eve', email: 'eve@corp.example', username: 'eve' };
    const first = await snap([dana, eve], { groups: [{ external_id: 'g-ops', name: 'ops', member_ids: ['u-dana'] }] });
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual([first.json().counts.created, first.json().counts.groups_created, first.json().result], [2, 1, 'success']);
    const danaUser = (await userByEmail('dana@corp.example'))!;
    assert.equal(danaUser.display_name, 'Dana');

    const token = await generateToken(r, admin, { bound_user_id: danaUser.id });
    const device = await enroll(r, token.secret);
    assert.equal(device.statusCode, 201, device.body);

    const again = await snap([{ ...dana, name: 'Dana Scully' }]);
    assert.deepEqual([again.json().counts.updated, again.json().counts.suspended], [1, 0], 'a partial snapshot never suspends');
    assert.equal((await userByEmail('eve@corp.example'))!.status, 'active');

    const full = await snap([{ ...eve }], { full: true });
    assert.equal(full.statusCode, 200, full.body);
    assert.deepEqual([full.json().counts.suspended, full.json().counts.devices_revoked, full.json().counts.unchanged], [1, 1, 1]);
    assert.equal((await userByEmail('dana@corp.example'))!.status, 'suspended');
    const d = (await call('GET', `/v1/admin/devices/${device.json().device_id}`)).json();
    assert.equal(d.status, 'revoked');
    const refused = await r.app.inject({ method: 'GET', url: '/v1/policy/digest', headers: { authorization: `Bearer ${device.json().device_token}` } });
    assert.equal(refused.statusCode, 401, 'the revoked device’s credential is refused');

    const back = await snap([dana]);
    assert.equal(back.json().counts.reactivated, 1, 'listed again and active: reactivated');

    const status = (await call('GET', '/v1/admin/directory-sync/status')).json();
    assert.equal(status.runs.length, 4);
    assert.equal(status.last_run.id, back.json().id);
    const audited = await r.core.db.kysely.selectFrom('audit_events').select('result').where('action', '=', 'access.dirsync.snapshot').execute();
    assert.equal(audited.length, 4);
  });

  test('bad snapshots are 422 validation_error and change nothing; permissions apply', async () => {
    const before = (await call('GET', '/v1/admin/directory-sync/status')).json().runs.length;
    for (const body of [
      { source: 'scim', users: [{ external_id: 'x' }] },
      { source: 'scim', users: [{ external_id: 'x', email: 'x@corp.example' }, { external_id: 'x', email: 'y@corp.example' }] },
      { source: 'scim', users: [{ external_id: 'x', email: 'x@corp.example' }], groups: [{ external_id: 'g', name: 'g', member_ids: ['nobody'] }] },
      { source: 'nis', users: [] },
      { source: 'scim', users: [], surprise: 1 },
    ]) {
      const res = await call('POST', '/v1/admin/directory-sync/snapshot', body);
      assert.equal(res.statusCode, 422, JSON.stringify(body));
      assert.equal(res.json().error, 'validation_error');
    }
    assert.equal(await userByEmail('x@corp.example'), undefined);
    assert.equal((await call('GET', '/v1/admin/directory-sync/status')).json().runs.length, before);
    const reader = await signIn(r, { permissions: ['access_dirsync:read'] });
    assert.equal((await call('POST', '/v1/admin/directory-sync/snapshot', { source: 'scim', users: [] }, reader)).statusCode, 403);
    assert.equal((await call('GET', '/v1/admin/directory-sync/status', undefined, reader)).statusCode, 200);
  });

  test('keycloak/run pulls users and groups over HTTPS; a disabled user is suspended; the secret is never shown', async () => {
    const missing = await call('POST', '/v1/admin/directory-sync/keycloak/run', {});
    assert.equal(missing.statusCode, 422, 'nothing configured yet');
    const wrong = await call('POST', '/v1/admin/directory-sync/keycloak/run', { base_url: kc.url, realm: 'corp', client_id: 'rampart-sync', client_secret: 'wrong', ca_pem: kc.caPem });
    assert.equal(wrong.statusCode, 502, wrong.body);
    assert.equal(wrong.json().error, 'directory_unavailable');
    assert.match(wrong.json().detail, /401/);
    const res = await call('POST', '/v1/admin/directory-sync/keycloak/run', { client_secret: CLIENT_SECRET, full: true });
    assert.equal(res.statusCode, 200, res.body);
    const run = res.json();
    assert.deepEqual([run.source, run.full, run.counts.created, run.counts.suspended, run.counts.groups_created], ['keycloak', true, 3, 1, 2]);
    assert.equal((await userByEmail('carol@corp.example'))!.status, 'suspended', 'disabled in Keycloak');
    assert.equal((await userByEmail('alice@corp.example'))!.display_name, 'Alice Liddell');
    const groups = (await r.core.identity.groups.list({ limit: 100, offset: 0 })).items;
    const bob = (await userByEmail('bob@corp.example'))!;
    assert.deepEqual(groups.find((g) => g.name === 'engineering/sre')?.member_ids, [bob.id]);
    assert.equal(groups.find((g) => g.name === 'engineering')?.member_ids.length, 2);
    assert.ok(kc.requests.some((q) => q.startsWith('GET /admin/realms/corp/users?briefRepresentation=false&first=0&max=100')));

    const status = await call('GET', '/v1/admin/directory-sync/status');
    assert.equal(status.json().keycloak.client_secret_configured, true);
    assert.ok(!status.body.includes(CLIENT_SECRET), 'the client secret is write-only');
    const stored = await r.core.db.kysely.selectFrom('access_dirsync_keycloak').select('client_secret').executeTakeFirstOrThrow();
    assert.ok(!stored.client_secret.includes(CLIENT_SECRET), 'sealed at rest');
    assert.equal(status.json().runs.find((x: { result: string }) => x.result === 'failure').errors.length, 1, 'the failed pull is recorded');

    const untrusted = await call('POST', '/v1/admin/directory-sync/keycloak/run', { ca_pem: (await selfSigned({ name: 'other' })).certPem });
    assert.equal(untrusted.statusCode, 502, 'a certificate from another CA is refused');
    assert.match(untrusted.json().detail, /certificate/i);
    await call('POST', '/v1/admin/directory-sync/keycloak/run', { ca_pem: kc.caPem });
  });

  test('a scheduled sync becomes a job when due, once, and the job runs the pull', async () => {
    const saved = await call('POST', '/v1/admin/directory-sync/keycloak/run', { interval_minutes: 30 });
    assert.equal(saved.statusCode, 200, saved.body);
    const kcSync = accessServices(r.core).tenants.keycloak;
    assert.equal(await kcSync.sweepDue(), 0, 'not due yet');
    clock.advance(31 * 60_000);
    const [a, b] = await Promise.all([kcSync.sweepDue(), kcSync.sweepDue()]);
    assert.equal(a + b, 1, 'two sweeps at once enqueue it once');
    const jobs = (await r.core.jobs.queue.list({ type: KEYCLOAK_SYNC_JOB })).items;
    assert.equal(jobs.length, 1);
    const runsBefore = (await call('GET', '/v1/admin/directory-sync/status', undefined, await signIn(r, { roles: ['admin'] }))).json().runs.length;
    const handler = r.core.jobs.handlers.get(KEYCLOAK_SYNC_JOB)!;
    await handler(jobs[0], { signal: new AbortController().signal, correlationId: null, logger: r.core.logger });
    const after = (await call('GET', '/v1/admin/directory-sync/status', undefined, await signIn(r, { roles: ['admin'] }))).json();
    assert.equal(after.runs.length, runsBefore + 1);
    assert.deepEqual([after.last_run.trigger, after.last_run.result, after.last_run.counts.unchanged], ['schedule', 'success', 3]);
  });
  test("a tenant's snapshots reach its own users and groups only: another tenant's are never linked, suspended or renamed", async () => {
    const provider = await signIn(r, { roles: ['admin'] });
    const created = await call('POST', '/v1/admin/tenants/lifecycle', { action: 'create', name: 'Dirsync B' }, provider);
    assert.equal(created.statusCode, 201, created.body);
    const tenantB = created.json().tenant.id as string;
    const adminB = await signIn(r, { roles: ['admin'] });
    assert.equal((await call('POST', '/v1/admin/tenants/lifecycle', { action: 'assign_admin', tenant_id: tenantB, user_id: adminB.user.id }, provider)).statusCode, 200);
    const snap = (who: SignedIn, body: object) => call('POST', '/v1/admin/directory-sync/snapshot', { source: 'ldap', ...body }, who);

    // The provider's directory: a user, and a group holding them.
    const a = await snap(provider, { users: [{ external_id: 'a-1', email: 'shared@corp.example', name: 'Provider Shared' }], groups: [{ external_id: 'ga', name: 'shared-team', member_ids: ['a-1'] }] });
    assert.equal(a.statusCode, 200, a.body);
    const providerUser = (await userByEmail('shared@corp.example'))!;

    // Tenant B's directory has someone with the same email, disabled, and a group of the same name, in a full snapshot.
    const b = await snap(adminB, { full: true, users: [{ external_id: 'b-1', email: 'shared@corp.example', name: 'B Shared', active: false }], groups: [{ external_id: 'gb', name: 'shared-team', member_ids: ['b-1'] }] });
    assert.equal(b.statusCode, 200, b.body);
    assert.deepEqual([b.json().tenant_id, b.json().counts.created, b.json().counts.suspended, b.json().counts.groups_created], [tenantB, 1, 1, 1], "B's own user, not the provider's");
    const asProvider = (await r.core.identity.users.get(providerUser.id));
    assert.deepEqual([asProvider.status, asProvider.display_name], ['active', 'Provider Shared'], "the provider's user is untouched");

    // B's lists show its directory user and group; the provider's are not B's to see.
    const bUsers = (await call('GET', '/v1/admin/users?limit=200', undefined, adminB)).json().users as { id: string; display_name: string; status: string }[];
    assert.deepEqual(bUsers.filter((u) => u.display_name === 'B Shared').map((u) => u.status), ['suspended']);
    assert.ok(!bUsers.some((u) => u.id === providerUser.id));
    const bGroups = (await call('GET', '/v1/admin/groups', undefined, adminB)).json().groups as { name: string; member_ids: string[] }[];
    assert.equal(bGroups.length, 1);
    assert.match(bGroups[0].name, /^shared-team-\d+$/, 'a name another tenant holds gets a suffix rather than a conflict');

    // A full snapshot of B listing nobody suspends nobody of the provider's; a second one changes nothing more.
    const empty = await snap(adminB, { full: true, users: [] });
    assert.equal(empty.json().counts.suspended, 0, 'B’s only user is suspended already');
    assert.equal((await r.core.identity.users.get(providerUser.id)).status, 'active');
    const again = await snap(adminB, { users: [{ external_id: 'b-1', email: 'shared@corp.example', name: 'B Shared' }], groups: [{ external_id: 'gb', name: 'shared-team', member_ids: ['b-1'] }] });
    assert.deepEqual([again.json().counts.reactivated, again.json().counts.groups_updated], [1, 0], 'the suffixed group is recognised as the same');
    assert.equal((await call('GET', '/v1/admin/users?limit=200', undefined, provider)).json().users.filter((u: { email: string }) => u.email === 'shared@corp.example').length, 2,
      "the provider's administrators see both tenants' users");
  });
});

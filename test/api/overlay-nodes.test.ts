/**
 * /api/nodes: listing, reading, changing, deleting, revoking and re-enrolling nodes, their config and
 * certificate downloads, heartbeats and status, with the permissions and 4xx cases the spec lists.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { unzipSync, strFromU8 } from 'fflate';
import { parse } from 'yaml';
import { certificateFromPem, fingerprint, verifyCertificate } from '../../src/core/pki/nebula/index.js';
import { issueReauthToken } from '../../src/core/identity/sso/reauth.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('overlay nodes', () => {
  let r: TestRampart;
  let owner: SignedIn;
  let clock = Date.now();
  /** Every GET response body, searched for private keys at the end (configs and ZIPs excepted). */
  const getBodies: string[] = [];

  before(async () => {
    r = await createTestRampart({ now: () => new Date(clock) });
    owner = await signIn(r);
  });
  after(() => r.cleanup());

  async function call(method: string, url: string, headers: Record<string, string> = owner.headers, payload?: object) {
    const res = await r.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}) });
    if (method === 'GET' && !/\/(config|certs)$/.test(url)) getBodies.push(res.body);
    return res;
  }
  let subnet = 60;
  async function network(): Promise<string> {
    const res = await call('POST', '/api/networks', owner.headers, { name: `nodes-${subnet}`, subnet_cidr: `10.${subnet++}.0.0/24` });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().id;
  }
  async function create(networkId: string, body: object) {
    const res = await call('POST', '/api/certificates/create', owner.headers, { network_id: networkId, ...body });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }
  const node = async (id: string) => (await call('GET', `/api/nodes/${id}`)).json();
  const rawNode = (id: string) => r.core.db.kysely.selectFrom('overlay_nodes').selectAll().where('id', '=', id).executeTakeFirst();
  const certsOf = async (networkId: string) => (await call('GET', `/api/certificates?network_id=${networkId}`)).json();

  test('list and get show nodes with computed status and never their keys', async () => {
    const net = await network();
    const lh = await create(net, { name: 'lh', is_lighthouse: true, public_endpoint: '192.0.2.1:4242', tun_device: 'nebula-lh' });
    const web = await create(net, { name: 'web', groups: ['web'], logging_options: { level: 'debug' } });
    const list = await call('GET', `/api/nodes?network_id=${net}`);
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json().map((n: any) => n.hostname), ['lh', 'web']);
    const got = await node(web.node_id);
    assert.deepEqual(Object.keys(got).sort(), [
      'cert_expires_at', 'cert_fingerprint', 'created_at', 'first_polled_at', 'groups', 'hostname', 'id', 'ip_address', 'is_lighthouse', 'is_relay', 'last_seen', 'lighthouse_options',
      'logging_options', 'network_id', 'public_endpoint', 'punchy_options', 'status', 'tun_device', 'updated_at',
    ]);
    assert.equal(got.status, 'pending');
    assert.deepEqual(got.groups, ['web']);
    assert.deepEqual(got.logging_options, { level: 'debug' });
    assert.equal(got.ip_address, web.ip_address);
    assert.ok(got.cert_expires_at);
    assert.equal((await node(lh.node_id)).tun_device, 'nebula-lh');
    assert.ok((await call('GET', '/api/nodes')).json().some((n: any) => n.id === lh.node_id));
  });

  test('404 for unknown nodes and networks, and for nodes of networks the caller cannot see', async () => {
    const net = await network();
    const lh = await create(net, { name: 'lh', is_lighthouse: true });
    const stranger = await signIn(r);
    for (const [method, url] of [
      ['GET', `/api/nodes/${UNKNOWN_ID}`], ['GET', '/api/nodes/not-a-uuid'], ['PATCH', `/api/nodes/${UNKNOWN_ID}`], ['DELETE', '/api/nodes/42'],
      ['GET', `/api/nodes/${UNKNOWN_ID}/config`], ['GET', `/api/nodes/${UNKNOWN_ID}/certs`], ['POST', `/api/nodes/${UNKNOWN_ID}/revoke-certificate`],
      ['POST', `/api/nodes/${UNKNOWN_ID}/re-enroll`], ['POST', `/api/nodes/${UNKNOWN_ID}/heartbeat`],
    ]) {
      const res = await call(method, url, owner.headers, method === 'PATCH' ? {} : undefined);
      assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
      assert.deepEqual(res.json(), { detail: 'Node not found' });
    }
    assert.equal((await call('GET', `/api/nodes?network_id=${UNKNOWN_ID}`)).statusCode, 404);
    assert.equal((await call('GET', `/api/nodes/${lh.node_id}`, stranger.headers)).statusCode, 404);
    assert.equal((await call('POST', `/api/nodes/${lh.node_id}/revoke-certificate`, stranger.headers)).statusCode, 404);
    assert.deepEqual((await call('GET', '/api/nodes', stranger.headers)).json(), []);
  });

  test('PATCH changes options and roles; 409 when it would remove the only lighthouse; new groups mean a new certificate', async () => {
    const net = await network();
    const lh = await create(net, { name: 'lh', is_lighthouse: true });
    const web = await create(net, { name: 'web', group: 'web' });
    const patch = (id: string, body: object) => call('PATCH', `/api/nodes/${id}`, owner.headers, body);

    const demote = await patch(lh.node_id, { is_lighthouse: false });
    assert.equal(demote.statusCode, 409);
    assert.match(demote.json().detail, /only lighthouse/);

    const revisionBefore = (await r.core.db.kysely.selectFrom('overlay_networks').select('config_revision').where('id', '=', net).executeTakeFirstOrThrow()).config_revision;
    const res = await patch(web.node_id, { is_relay: true, public_endpoint: '198.51.100.2:4242', punchy_options: { delay: '2s' }, tun_device: 'neb7' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { ok: true });
    const changed = await node(web.node_id);
    assert.deepEqual([changed.is_relay, changed.public_endpoint, changed.punchy_options, changed.tun_device], [true, '198.51.100.2:4242', { delay: '2s' }, 'neb7']);
    const revisionAfter = (await r.core.db.kysely.selectFrom('overlay_networks').select('config_revision').where('id', '=', net).executeTakeFirstOrThrow()).config_revision;
    assert.ok(Number(revisionAfter) > Number(revisionBefore), 'a change bumps the network config revision');

    // Once web is a lighthouse too, the first one may step down.
    assert.equal((await patch(web.node_id, { is_lighthouse: true })).statusCode, 200);
    assert.equal((await patch(lh.node_id, { is_lighthouse: false })).statusCode, 200);

    assert.equal((await patch(web.node_id, { groups: ['web', 'admin'] })).statusCode, 200);
    const certs = (await certsOf(net)).filter((c: any) => c.node_id === web.node_id);
    assert.equal(certs.length, 2);
    assert.equal(certs.filter((c: any) => c.revoked_at === null).length, 1, 'the certificate with the old groups is revoked');
    const zip = unzipSync((await call('GET', `/api/nodes/${web.node_id}/certs`)).rawPayload);
    assert.deepEqual(certificateFromPem(strFromU8(zip['host.crt'])).details.groups, ['web', 'admin']);

    for (const bad of [{ groups: ['a b'] }, { group: 'x,,' + 'y'.repeat(70) }, { tun_device: 'way-too-long-device-name' }, { is_lighthouse: 'yes' }, { unknown_field: 1 }, { public_endpoint: 'nope' }]) {
      const refused = await patch(web.node_id, bad);
      assert.equal(refused.statusCode, 400, `${JSON.stringify(bad)}: ${refused.body}`);
    }
  });

  test('DELETE revokes the certificate (kept for the blocklist), frees the address, 409 for the only lighthouse', async () => {
    const net = await network();
    const lh = await create(net, { name: 'lh', is_lighthouse: true });
    const db = await create(net, { name: 'db', suggested_ip: `10.${subnet - 1}.0.9` });
    const refused = await call('DELETE', `/api/nodes/${lh.node_id}`);
    assert.equal(refused.statusCode, 409);
    assert.match(refused.json().detail, /only lighthouse/);

    const deleted = await call('DELETE', `/api/nodes/${db.node_id}`);
    assert.equal(deleted.statusCode, 204);
    assert.equal(deleted.body, '');
    assert.equal((await call('GET', `/api/nodes/${db.node_id}`)).statusCode, 404);
    const cert = (await certsOf(net)).find((c: any) => c.node_name === 'db');
    assert.equal(cert.node_id, null);
    assert.ok(cert.revoked_at);
    // The address is free again.
    const reuse = await create(net, { name: 'db2', suggested_ip: db.ip_address });
    assert.equal(reuse.ip_address, db.ip_address);

    // A lone lighthouse may go: nothing depends on it.
    assert.equal((await call('DELETE', `/api/nodes/${reuse.node_id}`)).statusCode, 204);
    assert.equal((await call('DELETE', `/api/nodes/${lh.node_id}`)).statusCode, 204);
  });

  test('revoke-certificate releases the address and the key; re-enroll issues a new certificate and address', async () => {
    const net = await network();
    await create(net, { name: 'lh', is_lighthouse: true });
    const web = await create(net, { name: 'web', groups: ['web'] });
    const revoked = await call('POST', `/api/nodes/${web.node_id}/revoke-certificate`);
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.deepEqual(revoked.json(), { ok: true });
    const after = await node(web.node_id);
    assert.deepEqual([after.status, after.ip_address, after.cert_expires_at], ['revoked', null, null]);
    const row = (await rawNode(web.node_id))!;
    assert.equal(row.private_key, null);
    assert.ok((await certsOf(net)).find((c: any) => c.node_id === web.node_id).revoked_at);
    const config = await call('GET', `/api/nodes/${web.node_id}/config`);
    assert.equal(config.statusCode, 409);
    assert.deepEqual(config.json(), { detail: 'the node has no valid certificate; re-enroll' });

    const reEnrolled = await call('POST', `/api/nodes/${web.node_id}/re-enroll`);
    assert.equal(reEnrolled.statusCode, 200, reEnrolled.body);
    assert.deepEqual(reEnrolled.json(), { ok: true, node_id: web.node_id });
    const back = await node(web.node_id);
    assert.equal(back.status, 'pending');
    assert.ok(back.ip_address);
    assert.equal((await rawNode(web.node_id))!.device_token_version, row.device_token_version, 'the device token lives until a new code is redeemed');
    const certs = (await certsOf(net)).filter((c: any) => c.node_id === web.node_id);
    assert.equal(certs.length, 2);
    const current = certs.find((c: any) => c.revoked_at === null);
    const zip = unzipSync((await call('GET', `/api/nodes/${web.node_id}/certs`)).rawPayload);
    const hostCert = certificateFromPem(strFromU8(zip['host.crt']));
    assert.equal(fingerprint(hostCert), current.fingerprint);
    assert.equal(back.cert_fingerprint, current.fingerprint);
    assert.deepEqual(hostCert.details.groups, ['web']);
  });

  test("delete and revoke take Commander's newest step-up body (reauth_token, hostname as confirmation) and check what is sent", async () => {
    const net = await network();
    await create(net, { name: 'lh', is_lighthouse: true });
    const web = await create(net, { name: 'web' });
    const reauth = (await issueReauthToken(r.core.identity.keyset, owner.user.id)).token;

    const wrongName = await call('POST', `/api/nodes/${web.node_id}/revoke-certificate`, owner.headers, { reauth_token: reauth, confirmation: 'db' });
    assert.equal(wrongName.statusCode, 400);
    assert.match(wrongName.json().detail, /confirmation must be the node's hostname, 'web'/);
    const forged = await call('DELETE', `/api/nodes/${web.node_id}`, owner.headers, { reauth_token: 'not-a-token', confirmation: 'web' });
    assert.equal(forged.statusCode, 403);
    const accessToken = await call('DELETE', `/api/nodes/${web.node_id}`, owner.headers, { reauth_token: owner.token, confirmation: 'web' });
    assert.equal(accessToken.statusCode, 403, 'an access token is no reauth token');
    assert.equal((await node(web.node_id)).status, 'pending', 'nothing happened');

    const revoked = await call('POST', `/api/nodes/${web.node_id}/revoke-certificate`, owner.headers, { reauth_token: reauth, confirmation: 'web' });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal((await call('DELETE', `/api/nodes/${web.node_id}`, owner.headers, { reauth_token: reauth, confirmation: 'web' })).statusCode, 204);
    assert.equal((await call('GET', `/api/nodes/${web.node_id}`)).statusCode, 404);
  });

  test('config and certs: YAML attachment with inline PKI and key, ZIP that verifies', async () => {
    const net = await network();
    const lh = await create(net, { name: 'lh', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
    const web = await create(net, { name: 'web', groups: ['web'] });
    const res = await call('GET', `/api/nodes/${web.node_id}/config`);
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.headers['content-type'] as string, /^application\/yaml/);
    assert.match(res.headers['content-disposition'] as string, /^attachment; filename="web\.yml"$/);
    const config = parse(res.body);
    assert.equal(config.pki.key.trim(), web.private_key.trim());
    assert.equal(config.pki.cert.trim(), web.certificate.trim());
    assert.deepEqual(config.static_host_map, { [lh.ip_address]: ['192.0.2.1:4242'] });
    assert.deepEqual(config.lighthouse.hosts, [lh.ip_address]);

    const zipRes = await call('GET', `/api/nodes/${web.node_id}/certs`);
    assert.equal(zipRes.statusCode, 200);
    assert.match(zipRes.headers['content-type'] as string, /^application\/zip/);
    const files = unzipSync(zipRes.rawPayload);
    assert.deepEqual(Object.keys(files).sort(), ['README.txt', 'ca.crt', 'host.crt', 'host.key']);
    verifyCertificate(certificateFromPem(strFromU8(files['host.crt'])), certificateFromPem(strFromU8(files['ca.crt'])));
    assert.equal(strFromU8(files['host.key']).trim(), web.private_key.trim());
  });

  test('permissions: members without can_manage_nodes read but cannot change; system admins need a grant for secrets', async () => {
    const net = await network();
    const lh = await create(net, { name: 'lh', is_lighthouse: true });
    const web = await create(net, { name: 'web' });
    const member = await signIn(r);
    assert.equal((await call('POST', `/api/networks/${net}/users`, owner.headers, { user_id: member.user.id, role: 'member', can_manage_nodes: false })).statusCode, 200);
    assert.equal((await call('GET', `/api/nodes/${web.node_id}`, member.headers)).statusCode, 200);
    for (const [method, url, payload] of [
      ['PATCH', `/api/nodes/${web.node_id}`, { is_relay: true }], ['DELETE', `/api/nodes/${web.node_id}`], ['POST', `/api/nodes/${web.node_id}/revoke-certificate`],
      ['POST', `/api/nodes/${web.node_id}/re-enroll`], ['POST', `/api/nodes/${web.node_id}/heartbeat`], ['POST', '/api/device/enrollment-codes', { node_id: web.node_id }],
    ] as [string, string, object?][]) {
      const res = await call(method, url, member.headers, payload);
      assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
      assert.match(res.json().detail, /can_manage_nodes/);
    }

    const admin = await signIn(r, { roles: ['admin'] });
    assert.equal((await call('GET', `/api/nodes/${lh.node_id}`, admin.headers)).statusCode, 200);
    assert.equal((await call('PATCH', `/api/nodes/${web.node_id}`, admin.headers, { is_relay: true })).statusCode, 200);
    for (const url of [`/api/nodes/${web.node_id}/config`, `/api/nodes/${web.node_id}/certs`]) {
      const res = await call('GET', url, admin.headers);
      assert.equal(res.statusCode, 403, url);
      assert.match(res.json().detail, /access grant/);
    }
  });

  test('heartbeat by a manager: active with last_seen; offline once heartbeats stop; revoked stays revoked', async () => {
    const net = await network();
    const lh = await create(net, { name: 'lh', is_lighthouse: true });
    const before = (await rawNode(lh.node_id))!;
    const beat = await call('POST', `/api/nodes/${lh.node_id}/heartbeat`);
    assert.equal(beat.statusCode, 200, beat.body);
    assert.deepEqual(Object.keys(beat.json()).sort(), ['last_seen', 'ok']);
    assert.equal(beat.json().last_seen, new Date(clock).toISOString());
    const seen = await node(lh.node_id);
    assert.deepEqual([seen.status, seen.last_seen], ['active', beat.json().last_seen]);
    const afterBeat = (await rawNode(lh.node_id))!;
    assert.equal(afterBeat.updated_at, before.updated_at, 'a heartbeat does not change the config cache key');

    clock += (r.config.overlay.offline_after_s + 1) * 1000;
    assert.equal((await node(lh.node_id)).status, 'offline');
    assert.equal((await call('POST', `/api/nodes/${lh.node_id}/heartbeat`)).statusCode, 200);
    assert.equal((await node(lh.node_id)).status, 'active');

    assert.equal((await call('POST', `/api/nodes/${lh.node_id}/revoke-certificate`)).statusCode, 200);
    assert.equal((await call('POST', `/api/nodes/${lh.node_id}/heartbeat`)).statusCode, 200);
    assert.equal((await node(lh.node_id)).status, 'revoked');
    assert.equal((await call('POST', `/api/nodes/${lh.node_id}/heartbeat`, {})).statusCode, 401);
  });

  test('no GET response outside configs and ZIPs carries a private key', () => {
    assert.ok(getBodies.length > 10);
    for (const body of getBodies) assert.doesNotMatch(body, /PRIVATE KEY/);
  });
});

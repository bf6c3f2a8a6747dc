import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { issueReauthToken } from '../../src/core/identity/sso/reauth.js';
import { certificateFromPem, fingerprint } from '../../src/core/pki/nebula/index.js';
import { createNetworkCas } from '../../src/modules/overlay/networks/network-cas.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('overlay networks (/api/networks)', () => {
  let r: TestRampart;
  let owner: SignedIn;
  let stranger: SignedIn;
  let admin: SignedIn;
  /** Every response body, searched at the end for CA private key material (host keys are /certificates/create's to return). */
  const bodies: string[] = [];

  before(async () => {
    r = await createTestRampart();
    owner = await signIn(r);
    stranger = await signIn(r);
    admin = await signIn(r, { roles: ['admin'] });
  });
  after(() => r.cleanup());

  async function call(method: string, url: string, who: SignedIn | null, payload?: unknown) {
    const res = await r.app.inject({
      method: method as 'GET',
      url,
      headers: who ? who.headers : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    bodies.push(res.body);
    return res;
  }
  const create = (who: SignedIn, body: Record<string, unknown>) => call('POST', '/api/networks', who, body);
  const auditOf = async (action: string, resourceId: string) => (await r.core.audit.list({ action, resourceId, result: 'success' }, { limit: 20 })).items;
  const reauth = async (who: SignedIn) => (await issueReauthToken(r.core.identity.keyset, who.user.id)).token;

  test('create makes the caller owner and issues a CA whose key is sealed at rest', async () => {
    const res = await create(owner, { name: 'home-lab', subnet_cidr: '10.42.0.0/24' });
    assert.equal(res.statusCode, 200, res.body);
    const net = res.json();
    assert.match(net.id, /^[0-9a-f-]{36}$/);
    assert.equal(net.name, 'home-lab');
    assert.equal(net.subnet_cidr, '10.42.0.0/24');
    assert.equal(net.cert_version, 1);
    assert.equal(net.auto_approve_nodes, false);
    assert.equal(net.node_count, 0);
    assert.equal(net.role, 'owner');
    assert.deepEqual([net.can_manage_nodes, net.can_invite_users, net.can_manage_firewall], [true, true, true]);

    const ca = certificateFromPem(net.ca_certificate);
    assert.equal(ca.details.isCa, true);
    assert.equal(ca.details.name, 'home-lab');
    assert.equal(fingerprint(ca), net.ca_fingerprint);
    assert.equal(new Date(ca.details.notAfter * 1000).toISOString(), net.ca_expires_at);

    const row = await r.core.db.kysely.selectFrom('overlay_cas').selectAll().where('network_id', '=', net.id).executeTakeFirstOrThrow();
    assert.doesNotMatch(row.private_key, /PRIVATE KEY/, 'the CA key is sealed in the row');
    assert.match(r.core.secrets.openString(row.private_key, 'overlay_cas.private_key'), /NEBULA ED25519 PRIVATE KEY/);
    assert.equal((await auditOf('overlay.network.create', net.id)).length, 1);

    const got = await call('GET', `/api/networks/${net.id}`, owner);
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json(), net);
  });

  test('cert_version 2 and auto_approve_nodes are kept', async () => {
    const res = await create(owner, { name: 'v2-net', subnet_cidr: '10.50.0.0/16', cert_version: 2, auto_approve_nodes: true });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().cert_version, 2);
    assert.equal(res.json().auto_approve_nodes, true);
    assert.match(res.json().ca_certificate, /NEBULA CERTIFICATE V2/);
  });

  test('create refuses duplicates, bad subnets, bad names and bad versions with a clear detail', async () => {
    const dup = await create(stranger, { name: 'home-lab', subnet_cidr: '10.43.0.0/24' });
    assert.equal(dup.statusCode, 409);
    assert.deepEqual(dup.json(), { detail: "Network with name 'home-lab' already exists" });

    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: 'x1', subnet_cidr: '10.42.0.5/24' }, /host bits set; did you mean 10\.42\.0\.0\/24/],
      [{ name: 'x2', subnet_cidr: 'not-a-subnet' }, /not an IPv4 network in CIDR notation/],
      [{ name: 'x3', subnet_cidr: '10.0.0.0/31' }, /prefix length/],
      [{ name: '', subnet_cidr: '10.0.0.0/24' }, /name/],
      [{ name: 'a'.repeat(65), subnet_cidr: '10.0.0.0/24' }, /name/],
      [{ name: ' padded ', subnet_cidr: '10.0.0.0/24' }, /spaces/],
      [{ name: 'x4', subnet_cidr: '10.0.0.0/24', cert_version: 3 }, /cert_version/],
      [{ subnet_cidr: '10.0.0.0/24' }, /name/],
    ];
    for (const [body, detail] of cases) {
      const res = await create(owner, body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`);
      assert.match(res.json().detail, detail);
    }
    const names = (await call('GET', '/api/networks', owner)).json().map((n: any) => n.name);
    assert.deepEqual(names, ['home-lab', 'v2-net'], 'nothing half-created');
  });

  test('concurrent creates of one name: one wins, the others get 409', async () => {
    const results = await Promise.all([owner, stranger, owner, stranger].map((who, i) => create(who, { name: 'race', subnet_cidr: `10.6${i}.0.0/24` })));
    assert.deepEqual(results.map((x) => x.statusCode).sort(), [200, 409, 409, 409]);
    const cas = await r.core.db.kysely.selectFrom('overlay_cas').innerJoin('overlay_networks as n', 'n.id', 'overlay_cas.network_id').select('overlay_cas.id').where('n.name', '=', 'race').execute();
    assert.equal(cas.length, 1, 'the losers left no CA behind');
  });

  test('networks of others are invisible; unknown and non-UUID ids are 404', async () => {
    const net = await networkNamed('home-lab');
    const theirs = (await call('GET', '/api/networks', stranger)).json();
    assert.ok(!theirs.some((n: any) => n.id === net.id), 'another user\'s network is not listed');
    for (const url of [`/api/networks/${net.id}`, `/api/networks/${randomUUID()}`, '/api/networks/42', `/api/networks/${net.id}/check-ip?ip=10.42.0.9`]) {
      const res = await call('GET', url, stranger);
      assert.equal(res.statusCode, 404, url);
      assert.deepEqual(res.json(), { detail: 'Network not found' });
    }
    assert.equal((await call('PATCH', `/api/networks/${net.id}`, stranger, { name: 'mine' })).statusCode, 404);
    assert.equal((await call('GET', '/api/networks', null)).statusCode, 401);
  });

  /** Makes `who` a member of the network with the given flags, as an owner would. */
  async function addMember(networkId: string, who: SignedIn, flags: Record<string, unknown> = {}) {
    const res = await call('POST', `/api/networks/${networkId}/users`, owner, { user_id: who.user.id, role: 'member', ...flags });
    assert.equal(res.statusCode, 200, res.body);
  }

  test('PATCH: owner only, known fields only, names stay unique', async () => {
    const net = await networkNamed('home-lab');
    const member = await signIn(r);
    await addMember(net.id, member, { can_manage_nodes: true, can_invite_users: true, can_manage_firewall: true });

    const denied = await call('PATCH', `/api/networks/${net.id}`, member, { auto_approve_nodes: true });
    assert.equal(denied.statusCode, 403);
    assert.deepEqual(denied.json(), { detail: 'this needs the owner role on this network' });

    const unknown = await call('PATCH', `/api/networks/${net.id}`, owner, { firewall: 'open' });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json().detail, /firewall/);
    const taken = await call('PATCH', `/api/networks/${net.id}`, owner, { name: 'v2-net' });
    assert.equal(taken.statusCode, 409);
    assert.equal((await call('PATCH', `/api/networks/${net.id}`, owner, { default_cert_days: 0 })).statusCode, 400);

    const ok = await call('PATCH', `/api/networks/${net.id}`, owner, { auto_approve_nodes: true, default_cert_days: 30 });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().auto_approve_nodes, true);
    assert.equal(ok.json().default_cert_days, 30);
    const renamed = await call('PATCH', `/api/networks/${net.id}`, owner, { name: 'home-lab-2' });
    assert.equal(renamed.json().name, 'home-lab-2');
    assert.equal((await call('PATCH', `/api/networks/${net.id}`, owner, { name: 'home-lab' })).json().name, 'home-lab');
    assert.equal((await auditOf('overlay.network.update', net.id)).length, 3);
  });

  test('check-ip: free, taken, outside the subnet, network or broadcast address, missing', async () => {
    const net = await networkNamed('home-lab');
    const now = new Date().toISOString();
    await r.core.db.kysely.insertInto('overlay_nodes').values({
      id: randomUUID(), network_id: net.id, hostname: 'taken', ip_address: '10.42.0.7', ip_number: 0x0a2a0007, groups: r.core.db.dialect.toJson([]),
      is_lighthouse: r.core.db.dialect.toBool(true), is_relay: r.core.db.dialect.toBool(false), public_endpoint: null, lighthouse_options: null,
      logging_options: null, punchy_options: null, tun_device: null, status: 'pending', last_seen_at: null, private_key: null, public_key_pem: null,
      device_token_version: 0, created_by: owner.user.id, created_at: now, updated_at: now,
    }).execute();
    const check = (ip: string) => call('GET', `/api/networks/${net.id}/check-ip?ip=${encodeURIComponent(ip)}`, owner);
    assert.deepEqual((await check('10.42.0.8')).json(), { available: true });
    assert.deepEqual((await check('10.42.0.7')).json(), { available: false });
    assert.equal((await call('GET', `/api/networks/${net.id}`, owner)).json().node_count, 1);
    for (const [ip, detail] of [['10.43.0.1', /not in the network's subnet/], ['10.42.0.0', /network address/], ['10.42.0.255', /broadcast address/], ['nope', /not an IPv4 address/]] as const) {
      const res = await check(ip);
      assert.equal(res.statusCode, 400, ip);
      assert.match(res.json().detail, detail);
    }
    const missing = await call('GET', `/api/networks/${net.id}/check-ip`, owner);
    assert.equal(missing.statusCode, 400);
    assert.match(missing.json().detail, /ip/);
  });

  test('CA rotation: a new active CA, the old one still trusted, configs revised', async () => {
    const before = await call('GET', '/api/networks', owner);
    const net = before.json().find((n: any) => n.name === 'home-lab');
    const revision = (await networkNamed('home-lab')).config_revision;
    const member = await signIn(r);
    await addMember(net.id, member, { can_manage_nodes: true });
    assert.equal((await call('POST', `/api/networks/${net.id}/ca/rotate`, member)).statusCode, 403);

    const rotated = await call('POST', `/api/networks/${net.id}/ca/rotate`, owner);
    assert.equal(rotated.statusCode, 200, rotated.body);
    assert.notEqual(rotated.json().ca_fingerprint, net.ca_fingerprint);
    assert.equal(fingerprint(certificateFromPem(rotated.json().ca_certificate)), rotated.json().ca_fingerprint);
    const active = await createNetworkCas(r.core).active(net.id);
    assert.equal(active.fingerprint, rotated.json().ca_fingerprint);
    const trusted = (await createNetworkCas(r.core).trusted(net.id)).map((c) => c.fingerprint);
    assert.deepEqual(trusted, [rotated.json().ca_fingerprint, net.ca_fingerprint], 'the old CA stays trusted, after the active one');
    assert.ok((await networkNamed('home-lab')).config_revision > revision, 'device configs see a new revision');
    const [row] = await auditOf('overlay.network.ca_rotate', net.id);
    assert.equal(row.details?.previous_ca_fingerprint, net.ca_fingerprint);
  });

  test('CA rotation reissues every node certificate under the new CA', async () => {
    const net = (await create(owner, { name: 'rotating', subnet_cidr: '10.79.0.0/24' })).json();
    const node = await call('POST', '/api/certificates/create', owner, { network_id: net.id, name: 'lh', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
    assert.equal(node.statusCode, 200, node.body);
    assert.equal(certificateFromPem(node.json().certificate).details.issuer, net.ca_fingerprint);

    const rotated = (await call('POST', `/api/networks/${net.id}/ca/rotate`, owner)).json();
    const current = await r.core.db.kysely.selectFrom('overlay_certificates').select('certificate_pem')
      .where('node_id', '=', node.json().node_id).orderBy('issued_at', 'desc').orderBy('id').execute();
    const issuers = current.map((c) => certificateFromPem(c.certificate_pem).details.issuer);
    assert.ok(issuers.includes(rotated.ca_fingerprint), `a certificate from the new CA: ${issuers}`);
    const [row] = await auditOf('overlay.network.ca_rotate', net.id);
    assert.equal(row.details?.reissued_certificates, 1);
  });

  test('system admins see every network, without CA data unless an owner granted them access', async () => {
    const list = (await call('GET', '/api/networks', admin)).json();
    const net = list.find((n: any) => n.name === 'home-lab');
    assert.ok(list.length >= 3, 'all networks');
    assert.equal(net.role, null);
    assert.deepEqual([net.can_manage_nodes, net.can_invite_users, net.can_manage_firewall], [true, true, true]);
    assert.deepEqual([net.ca_fingerprint, net.ca_expires_at, net.ca_certificate], [null, null, null]);
    assert.equal((await call('GET', `/api/networks/${net.id}`, admin)).json().ca_certificate, null);

    const now = new Date();
    await r.core.db.kysely.insertInto('overlay_access_grants').values({
      id: randomUUID(), admin_user_id: admin.user.id, resource_type: 'network', resource_id: net.id, network_id: net.id, granted_by: owner.user.id,
      reason: 'support ticket 7', expires_at: new Date(now.getTime() + 3_600_000).toISOString(), revoked_at: null, created_at: now.toISOString(),
    }).execute();
    const granted = (await call('GET', `/api/networks/${net.id}`, admin)).json();
    assert.match(granted.ca_certificate, /NEBULA CERTIFICATE/);
    assert.equal(granted.ca_fingerprint, (await call('GET', `/api/networks/${net.id}`, owner)).json().ca_fingerprint);
    const other = (await call('GET', '/api/networks', admin)).json().find((n: any) => n.name === 'v2-net');
    assert.equal(other.ca_certificate, null, 'a grant opens its own network only');
  });

  test('DELETE: owner with a reauth token and the name as confirmation; everyone else refused', async () => {
    const net = (await create(owner, { name: 'doomed', subnet_cidr: '10.77.0.0/24' })).json();
    const member = await signIn(r);
    await addMember(net.id, member, { can_manage_nodes: true, can_invite_users: true, can_manage_firewall: true });
    const del = (who: SignedIn, body?: Record<string, unknown>) => call('DELETE', `/api/networks/${net.id}`, who, body);

    assert.equal((await del(stranger, { reauth_token: await reauth(stranger), confirmation: 'doomed' })).statusCode, 404);
    const notOwner = await del(member, { reauth_token: await reauth(member), confirmation: 'doomed' });
    assert.equal(notOwner.statusCode, 403);
    assert.match(notOwner.json().detail, /owner/);

    const noToken = await del(owner, { confirmation: 'doomed' });
    assert.equal(noToken.statusCode, 403);
    assert.deepEqual(noToken.json(), { detail: 'a valid reauth_token is required for this action' });
    assert.equal((await del(owner)).statusCode, 403, 'no body at all');
    assert.equal((await del(owner, { reauth_token: await reauth(member), confirmation: 'doomed' })).statusCode, 403, "another user's reauth token");
    assert.equal((await del(owner, { reauth_token: owner.token, confirmation: 'doomed' })).statusCode, 403, 'an access token is no reauth token');
    assert.equal((await del(owner, { reauth_token: 'garbage', confirmation: 'doomed' })).statusCode, 403);

    const wrongName = await del(owner, { reauth_token: await reauth(owner), confirmation: 'Doomed' });
    assert.equal(wrongName.statusCode, 400);
    assert.equal(wrongName.json().detail, "confirmation must be the network's name, 'doomed'");
    assert.equal((await call('GET', `/api/networks/${net.id}`, owner)).statusCode, 200, 'still there after every refusal');

    const done = await del(owner, { reauth_token: await reauth(owner), confirmation: 'doomed' });
    assert.equal(done.statusCode, 204, done.body);
    assert.equal(done.body, '');
    assert.equal((await call('GET', `/api/networks/${net.id}`, owner)).statusCode, 404);
    const leftovers = await r.core.db.kysely.selectFrom('overlay_cas').select('id').where('network_id', '=', net.id).execute();
    assert.equal(leftovers.length, 0, 'its CAs went with it');
    assert.equal((await auditOf('overlay.network.delete', net.id)).length, 1);
  });

  test('system admins delete any network with their own reauth token', async () => {
    const net = (await create(stranger, { name: 'admin-deletes', subnet_cidr: '10.78.0.0/24' })).json();
    const res = await call('DELETE', `/api/networks/${net.id}`, admin, { reauth_token: await reauth(admin), confirmation: 'admin-deletes' });
    assert.equal(res.statusCode, 204, res.body);
    assert.equal((await call('GET', `/api/networks/${net.id}`, stranger)).statusCode, 404);
  });

  async function networkNamed(name: string) {
    return r.core.db.kysely.selectFrom('overlay_networks').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
  }

  test("Commander's summary counts: groups with rules, DNS aliases and members, in the list and the detail", async () => {
    const net = (await create(owner, { name: 'counted', subnet_cidr: '10.44.0.0/24' })).json();
    assert.deepEqual([net.group_count, net.dns_entry_count, net.user_count, net.cert_curve], [0, 0, 1, '25519']);
    const lh = (await call('POST', '/api/certificates/create', owner, { network_id: net.id, name: 'lh', is_lighthouse: true })).json();
    assert.equal((await call('PUT', `/api/networks/${net.id}/group-firewall/web`, owner, { inbound_rules: [] })).statusCode, 200);
    assert.equal((await call('POST', `/api/networks/${net.id}/dns/aliases`, owner, { alias: 'gw', node_id: lh.node_id })).statusCode, 201);
    assert.equal((await call('POST', `/api/networks/${net.id}/users`, owner, { user_id: stranger.user.id })).statusCode, 200);
    const counts = (n: any) => [n.node_count, n.group_count, n.dns_entry_count, n.user_count];
    assert.deepEqual(counts((await call('GET', `/api/networks/${net.id}`, owner)).json()), [1, 1, 1, 2]);
    assert.deepEqual(counts((await call('GET', '/api/networks', stranger)).json().find((n: any) => n.id === net.id)), [1, 1, 1, 2]);
  });

  test('no response ever carried a CA private key', () => {
    assert.ok(bodies.length > 10);
    for (const body of bodies) assert.doesNotMatch(body, /ED25519 PRIVATE KEY/);
  });
});

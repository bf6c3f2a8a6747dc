/**
 * POST /api/certificates/create and /sign, GET /api/certificates: native issuance through the API, the IPAM
 * behind it (suggested addresses, concurrent creates) and every 4xx the spec lists for them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  certificateFromPem,
  fingerprint,
  generateHostKeyPair,
  hostPublicKeyToPem,
  verifyCertificate,
} from '../../src/core/pki/nebula/index.js';
import { createOverlayServices } from '../../src/modules/overlay/overlay.services.js';
import { strFromU8, unzipSync } from 'fflate';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const DAY_MS = 86_400_000;

describe('overlay certificates: create, sign and list', () => {
  let r: TestRampart;
  let owner: SignedIn;
  let clock = Date.now();

  before(async () => {
    r = await createTestRampart({ now: () => new Date(clock), overrides: { 'overlay.ca_validity_days': 30 } });
    owner = await signIn(r);
  });
  after(() => r.cleanup());

  const call = (method: string, url: string, headers: Record<string, string>, payload?: object) =>
    r.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}) });
  let networkCount = 0;
  async function network(subnet_cidr = '10.42.0.0/24', extra: object = {}): Promise<{ id: string }> {
    const res = await call('POST', '/api/networks', owner.headers, { name: `net-${++networkCount}`, subnet_cidr, ...extra });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }
  const create = (body: object, headers = owner.headers) => call('POST', '/api/certificates/create', headers, body);
  async function lighthouse(networkId: string, name = 'lighthouse') {
    const res = await create({ network_id: networkId, name, is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }

  test('create issues a certificate the CA verifies, with the name, address and groups asked for', async () => {
    const net = await network();
    const first = await create({ network_id: net.id, name: 'web-1' });
    assert.equal(first.statusCode, 400);
    assert.match(first.json().detail, /first node of a network must be a lighthouse/);

    const lh = await lighthouse(net.id);
    assert.equal(lh.ip_address, '10.42.0.1');
    const res = await create({ network_id: net.id, name: 'web-1', group: 'web,prod', duration_days: 30 });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['ca_certificate', 'certificate', 'hostname', 'ip_address', 'node_id', 'private_key']);
    assert.equal(body.ip_address, '10.42.0.2');
    assert.match(body.private_key, /BEGIN NEBULA X25519 PRIVATE KEY/);
    const cert = certificateFromPem(body.certificate);
    const ca = certificateFromPem(body.ca_certificate);
    verifyCertificate(cert, ca);
    assert.equal(cert.version, 1);
    assert.deepEqual([cert.details.name, cert.details.networks, cert.details.groups], ['web-1', ['10.42.0.2/24'], ['web', 'prod']]);
    assert.ok(Math.abs(cert.details.notAfter * 1000 - (clock + 30 * DAY_MS)) < 5_000);

    // The raw row holds the key sealed; opening it gives the key the response carried.
    const row = await r.core.db.kysely.selectFrom('overlay_nodes').selectAll().where('id', '=', body.node_id).executeTakeFirstOrThrow();
    assert.doesNotMatch(row.private_key!, /PRIVATE KEY/);
    assert.equal(r.core.secrets.openString(row.private_key!, 'overlay_nodes.private_key'), body.private_key);
  });

  test('duration_days beyond the CA is clamped inside it, and a CA about to expire refuses with a clear 400', async () => {
    const net = await network('10.43.0.0/24');
    const lh = await lighthouse(net.id);
    const res = await create({ network_id: net.id, name: 'long', duration_days: 3650 });
    assert.equal(res.statusCode, 200, res.body);
    const cert = certificateFromPem(res.json().certificate);
    const ca = certificateFromPem(lh.ca_certificate);
    assert.equal(cert.details.notAfter, ca.details.notAfter - 1);

    const saved = clock;
    clock = ca.details.notAfter * 1000 - 3_600_000; // an hour before the CA expires
    try {
      const session = await r.core.identity.sessions.open(owner.user.id, { method: 'password', clientIp: '127.0.0.1', userAgent: 'test' });
      const refused = await create({ network_id: net.id, name: 'too-late' }, { authorization: `Bearer ${session.access_token}` });
      assert.equal(refused.statusCode, 400, refused.body);
      assert.match(refused.json().detail, /CA expires at .*rotate the CA/);
    } finally {
      clock = saved;
    }
  });

  test('409 for a taken name or suggested address; 400 for addresses outside the subnet, network, broadcast, bad names and groups', async () => {
    const net = await network('10.44.0.0/24');
    await lighthouse(net.id);
    const ok = await create({ network_id: net.id, name: 'db-1', suggested_ip: '10.44.0.50' });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().ip_address, '10.44.0.50');

    const cases: [object, number, RegExp][] = [
      [{ name: 'db-1' }, 409, /already exists/],
      [{ name: 'db-2', suggested_ip: '10.44.0.50' }, 409, /already in use/],
      [{ name: 'db-2', suggested_ip: '10.45.0.9' }, 400, /not in the network's subnet/],
      [{ name: 'db-2', suggested_ip: '10.44.0.0' }, 400, /network address/],
      [{ name: 'db-2', suggested_ip: '10.44.0.255' }, 400, /broadcast address/],
      [{ name: 'db-2', suggested_ip: 'nonsense' }, 400, /not an IPv4 address/],
      [{ name: 'bad name!' }, 400, /not a valid node name/],
      [{ name: '' }, 400, /not a valid node name/],
      [{ name: 'x'.repeat(254) }, 400, /not a valid node name/],
      [{ name: 'db-2', groups: ['has space'] }, 400, /not a valid group name/],
      [{ name: 'db-2', groups: [''] }, 400, /not a valid group name/],
      [{ name: 'db-2', public_endpoint: 'no-port' }, 400, /host:port/],
      [{ name: 'db-2', duration_days: 0 }, 400, /duration_days/],
    ];
    for (const [body, status, detail] of cases) {
      const res = await create({ network_id: net.id, ...body });
      assert.equal(res.statusCode, status, `${JSON.stringify(body)}: ${res.body}`);
      assert.match(res.json().detail, detail, JSON.stringify(body));
    }
    for (const id of [UNKNOWN_ID, 'not-a-uuid']) {
      const res = await create({ network_id: id, name: 'x', is_lighthouse: true });
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), { detail: 'Network not found' });
    }
    // Someone else's network is invisible: 404, not 403.
    const stranger = await signIn(r);
    assert.equal((await create({ network_id: net.id, name: 'x' }, stranger.headers)).statusCode, 404);
  });

  test('a member without can_manage_nodes gets 403 for create and sign', async () => {
    const net = await network('10.46.0.0/24');
    await lighthouse(net.id);
    const member = await signIn(r);
    const added = await call('POST', `/api/networks/${net.id}/users`, owner.headers, { user_id: member.user.id, role: 'member', can_manage_nodes: false });
    assert.equal(added.statusCode, 200, added.body);
    const res = await create({ network_id: net.id, name: 'nope' }, member.headers);
    assert.equal(res.statusCode, 403);
    assert.match(res.json().detail, /can_manage_nodes/);
    const signed = await call('POST', '/api/certificates/sign', member.headers, { network_id: net.id, name: 'nope', public_key: hostPublicKeyToPem(generateHostKeyPair().publicKey) });
    assert.equal(signed.statusCode, 403);
  });

  test('sign certifies the client key; signing the same name again re-keys the node and revokes the old certificate', async () => {
    const net = await network('10.47.0.0/24');
    await lighthouse(net.id);
    const sign = (body: object) => call('POST', '/api/certificates/sign', owner.headers, { network_id: net.id, ...body });
    const keys = generateHostKeyPair();
    const res = await sign({ name: 'laptop', groups: ['users'], public_key: hostPublicKeyToPem(keys.publicKey) });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.ip_address, '10.47.0.2');
    const cert = certificateFromPem(body.certificate);
    verifyCertificate(cert, certificateFromPem(body.ca_certificate));
    assert.deepEqual(Buffer.from(cert.details.publicKey), Buffer.from(keys.publicKey));
    assert.deepEqual(cert.details.groups, ['users']);
    const row = await r.core.db.kysely.selectFrom('overlay_nodes').selectAll().where('id', '=', body.node_id).executeTakeFirstOrThrow();
    assert.equal(row.private_key, null, 'the client keeps its key');

    const again = await sign({ name: 'laptop', public_key: hostPublicKeyToPem(generateHostKeyPair().publicKey) });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().ip_address, '10.47.0.2', 'the node keeps its address');
    assert.deepEqual(certificateFromPem(again.json().certificate).details.groups, ['users'], 'and its groups');

    const list = (await call('GET', `/api/certificates?network_id=${net.id}`, owner.headers)).json();
    const laptop = list.filter((c: any) => c.node_name === 'laptop');
    assert.equal(laptop.length, 2);
    const old = laptop.find((c: any) => c.fingerprint === fingerprint(cert));
    assert.ok(old.revoked_at, 'the first certificate is revoked');
    assert.equal(laptop.find((c: any) => c !== old).revoked_at, null);

    for (const bad of ['not a pem', hostPublicKeyToPem(new Uint8Array(16)), body.certificate]) {
      const refused = await sign({ name: 'other', public_key: bad });
      assert.equal(refused.statusCode, 400, refused.body);
    }
  });

  test('GET /api/certificates lists issued certificates with their network, filtered by network_id', async () => {
    const a = await network('10.48.0.0/24');
    const b = await network('10.49.0.0/24');
    await lighthouse(a.id, 'lh-a');
    await lighthouse(b.id, 'lh-b');
    const res = await call('GET', `/api/certificates?network_id=${a.id}`, owner.headers);
    assert.equal(res.statusCode, 200);
    const [cert] = res.json();
    assert.equal(res.json().length, 1);
    assert.deepEqual(Object.keys(cert).sort(), ['expires_at', 'fingerprint', 'id', 'ip_address', 'issued_at', 'network_id', 'network_name', 'node_id', 'node_name', 'revoked_at']);
    assert.equal(cert.node_name, 'lh-a');
    assert.equal(cert.network_id, a.id);
    assert.equal(cert.ip_address, '10.48.0.1');
    const all = (await call('GET', '/api/certificates', owner.headers)).json();
    assert.ok(all.some((c: any) => c.node_name === 'lh-b') && all.some((c: any) => c.node_name === 'lh-a'));
    assert.ok(!JSON.stringify(all).includes('PRIVATE KEY'));
    assert.equal((await call('GET', `/api/certificates?network_id=${UNKNOWN_ID}`, owner.headers)).statusCode, 404);
    const stranger = await signIn(r);
    assert.deepEqual((await call('GET', '/api/certificates', stranger.headers)).json(), []);
  });

  test('20 concurrent creates on one network get 20 distinct addresses', async () => {
    const net = await network('10.50.0.0/24');
    await lighthouse(net.id);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => create({ network_id: net.id, name: `burst-${i}` })));
    for (const res of results) assert.equal(res.statusCode, 200, res.body);
    const ips = results.map((res) => res.json().ip_address);
    assert.equal(new Set(ips).size, 20, ips.join(' '));
    assert.ok(!ips.includes('10.50.0.1'), 'the lighthouse keeps its own');
  });

  test('a v2 network issues v2 certificates', async () => {
    const net = await network('10.51.0.0/24', { cert_version: 2 });
    const lh = await lighthouse(net.id);
    assert.match(lh.certificate, /BEGIN NEBULA CERTIFICATE V2/);
    const cert = certificateFromPem(lh.certificate);
    assert.equal(cert.version, 2);
    verifyCertificate(cert, certificateFromPem(lh.ca_certificate));
  });

  test('reissueAll after a CA rotation re-signs nodes whose key Rampart holds; client-held keys keep their certificates', async () => {
    const net = await network('10.52.0.0/24');
    const lh = await lighthouse(net.id);
    const byok = await call('POST', '/api/certificates/sign', owner.headers, { network_id: net.id, name: 'byok', public_key: hostPublicKeyToPem(generateHostKeyPair().publicKey) });
    assert.equal(byok.statusCode, 200, byok.body);
    const services = createOverlayServices(r.core);
    const rotated = await services.cas.issue(net.id, 'net-rotated', 1);
    assert.equal(await services.nodes.reissueAll(net.id), 1);

    const files = unzipSync((await call('GET', `/api/nodes/${lh.node_id}/certs`, owner.headers)).rawPayload);
    const host = certificateFromPem(strFromU8(files['host.crt']));
    assert.equal(host.details.issuer, rotated.fingerprint, 'the lighthouse carries a certificate of the new CA');
    assert.deepEqual([host.details.name, host.details.networks], ['lighthouse', ['10.52.0.1/24']]);
    assert.equal(strFromU8(files['ca.crt']).match(/BEGIN NEBULA CERTIFICATE/g)?.length, 2, 'both CAs stay trusted');
    const byokZip = unzipSync((await call('GET', `/api/nodes/${byok.json().node_id}/certs`, owner.headers)).rawPayload);
    assert.equal(strFromU8(byokZip['host.crt']).trim(), byok.json().certificate.trim(), 'the client-held key keeps its certificate');
    const certs = (await call('GET', `/api/certificates?network_id=${net.id}`, owner.headers)).json();
    assert.equal(certs.filter((c: any) => c.revoked_at !== null).length, 0, 'superseded, not revoked: nothing enters the blocklist');
  });
});

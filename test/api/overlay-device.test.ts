/**
 * The device flow: enrollment codes (one-time, expiring, hashed at rest, rate limited), device tokens
 * (invalidated by re-enrollment), config polling with ETag/304 and the blocklist, the certificate ZIP, heartbeats.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { strFromU8, unzipSync } from 'fflate';
import { parse } from 'yaml';
import { certificateFromPem, generateHostKeyPair, hostPublicKeyToPem, verifyCertificate } from '../../src/core/pki/nebula/index.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('overlay device flow', () => {
  let r: TestRampart;
  let owner: SignedIn;
  let clock = Date.now();
  let networkId: string;
  let lh: any;
  let web: any;
  /** Each enroll call comes from its own address unless a test says otherwise: the route allows 5 per 15 minutes. */
  let address = 0;

  before(async () => {
    // Long-lived user tokens: the liveness test moves the clock on by many minutes.
    r = await createTestRampart({ now: () => new Date(clock), overrides: { 'auth.access_token_ttl_s': 86_400 } });
    owner = await signIn(r);
    const net = await call('POST', '/api/networks', owner.headers, { name: 'devices', subnet_cidr: '10.90.0.0/24' });
    networkId = net.json().id;
    lh = await create({ name: 'lh', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
    web = await create({ name: 'web', groups: ['web'] });
  });
  after(() => r.cleanup());

  function call(method: string, url: string, headers: Record<string, string> = owner.headers, payload?: object, remoteAddress?: string) {
    return r.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}), ...(remoteAddress ? { remoteAddress } : {}) });
  }
  async function create(body: object) {
    const res = await call('POST', '/api/certificates/create', owner.headers, { network_id: networkId, ...body });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }
  async function code(nodeId: string, extra: object = {}): Promise<string> {
    const res = await call('POST', '/api/device/enrollment-codes', owner.headers, { node_id: nodeId, ...extra });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().code;
  }
  const enroll = (c: string, ip = `10.1.${Math.floor(++address / 250)}.${address % 250}`) => call('POST', '/api/device/enroll', {}, { code: c }, ip);
  async function deviceToken(nodeId: string): Promise<string> {
    const res = await enroll(await code(nodeId));
    assert.equal(res.statusCode, 200, res.body);
    return res.json().device_token;
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const config = (token: string, etag?: string) => call('GET', '/api/device/config', { ...bearer(token), ...(etag ? { 'if-none-match': etag } : {}) });

  test('an enrollment code is 16 symbols, stored only as its sha256, and needs a node with a certificate', async () => {
    const res = await call('POST', '/api/device/enrollment-codes', owner.headers, { node_id: web.node_id });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['code', 'expires_at', 'hostname', 'node_id']);
    assert.match(body.code, /^[0-9A-HJKMNP-TV-Z]{16}$/);
    assert.equal(body.hostname, 'web');
    assert.ok(Math.abs(Date.parse(body.expires_at) - (clock + 24 * 3_600_000)) < 1000, 'default 24 hours');
    const rows = await r.core.db.kysely.selectFrom('overlay_enrollment_codes').selectAll().where('node_id', '=', web.node_id).execute();
    assert.ok(rows.some((row) => row.code_hash === sha256(body.code)));
    assert.ok(!JSON.stringify(rows).includes(body.code));

    const tooLong = await call('POST', '/api/device/enrollment-codes', owner.headers, { node_id: web.node_id, expires_in_hours: 721 });
    assert.equal(tooLong.statusCode, 400);
    const unknown = await call('POST', '/api/device/enrollment-codes', owner.headers, { node_id: UNKNOWN_ID });
    assert.equal(unknown.statusCode, 404);

    const spare = await create({ name: 'spare' });
    assert.equal((await call('POST', `/api/nodes/${spare.node_id}/revoke-certificate`)).statusCode, 200);
    const refused = await call('POST', '/api/device/enrollment-codes', owner.headers, { node_id: spare.node_id });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.json().detail, /has no certificate/);
  });

  test('enroll: a token for the node; 404 unknown code, 400 used code, 400 expired code', async () => {
    const c = await code(web.node_id);
    const res = await enroll(c.toLowerCase());
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(Object.keys(res.json()).sort(), ['device_token', 'hostname', 'node_id']);
    assert.equal(res.json().node_id, web.node_id);
    assert.equal(res.json().hostname, 'web');

    const used = await enroll(c);
    assert.equal(used.statusCode, 400);
    assert.match(used.json().detail, /already been used/);
    const unknown = await enroll('0000000000000000');
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(Object.keys(unknown.json()), ['detail']);

    const shortLived = await code(web.node_id, { expires_in_hours: 0.001 });
    clock += 10_000;
    const expired = await enroll(shortLived);
    assert.equal(expired.statusCode, 400);
    assert.match(expired.json().detail, /expired/);
  });

  test('the sixth enroll attempt from one address within 15 minutes gets 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await enroll('WRONGCODE0000000', '203.0.113.77')).statusCode);
    assert.deepEqual(statuses, [404, 404, 404, 404, 404, 429]);
    assert.equal((await enroll('WRONGCODE0000000', '203.0.113.78')).statusCode, 404, 'another address is not limited');
  });

  test('a code redeemed concurrently works exactly once', async () => {
    const c = await code(web.node_id);
    const results = await Promise.all(Array.from({ length: 8 }, () => enroll(c)));
    const statuses = results.map((res) => res.statusCode).sort();
    assert.deepEqual(statuses, [200, 400, 400, 400, 400, 400, 400, 400], results.map((res) => res.body).join('\n'));
  });

  test('device config: YAML with inline PKI, ETag and 304; a heartbeat does not change it, a revocation does', async () => {
    const token = await deviceToken(web.node_id);
    const first = await config(token);
    assert.equal(first.statusCode, 200, first.body);
    assert.match(first.headers['content-type'] as string, /^application\/yaml/);
    assert.equal(first.headers.etag, `"${sha256(first.body)}"`);
    const yaml = parse(first.body);
    assert.equal(yaml.pki.key.trim(), web.private_key.trim());
    verifyCertificate(certificateFromPem(yaml.pki.cert), certificateFromPem(yaml.pki.ca));
    const blockedBefore: string[] = yaml.pki.blocklist;

    const unchanged = await config(token, first.headers.etag as string);
    assert.equal(unchanged.statusCode, 304);
    assert.equal(unchanged.body, '');
    assert.equal(unchanged.headers.etag, first.headers.etag);

    const beat = await call('POST', `/api/nodes/${web.node_id}/heartbeat`, bearer(token));
    assert.equal(beat.statusCode, 200, beat.body);
    assert.equal((await config(token, first.headers.etag as string)).statusCode, 304, 'heartbeats leave the config alone');

    // Another node's certificate is revoked: web's config changes and blocks it.
    const other = await create({ name: 'other' });
    const withOther = await config(token);
    assert.equal(withOther.statusCode, 200);
    assert.equal((await call('POST', `/api/nodes/${other.node_id}/revoke-certificate`)).statusCode, 200);
    const revoked = await config(token, withOther.headers.etag as string);
    assert.equal(revoked.statusCode, 200);
    assert.notEqual(revoked.headers.etag, withOther.headers.etag);
    const otherFingerprint = (await call('GET', `/api/certificates?network_id=${networkId}`)).json().find((c: any) => c.node_name === 'other').fingerprint;
    assert.ok(!blockedBefore.includes(otherFingerprint));
    assert.deepEqual(parse(revoked.body).pki.blocklist, [...blockedBefore, otherFingerprint].sort());
  });

  test('the revoked node itself gets 409 (its agent keeps polling), not 401', async () => {
    const node = await create({ name: 'doomed' });
    const token = await deviceToken(node.node_id);
    assert.equal((await config(token)).statusCode, 200);
    assert.equal((await call('POST', `/api/nodes/${node.node_id}/revoke-certificate`)).statusCode, 200);
    const res = await config(token);
    assert.equal(res.statusCode, 409);
    assert.deepEqual(res.json(), { detail: 'the node has no valid certificate; re-enroll' });
  });

  test('If-None-Match as ncclient sends it (bare), quoted, weak, in a list or * gives 304; a stale tag 200', async () => {
    const token = await deviceToken(web.node_id);
    const first = await config(token);
    assert.equal(first.statusCode, 200, first.body);
    const quoted = first.headers.etag as string;
    const bare = quoted.replace(/"/g, '');
    for (const header of [bare, quoted, `W/${quoted}`, `W/${bare}`, `"stale", ${quoted}`, `stale,${bare}`, '*', ` ${quoted} `]) {
      const res = await config(token, header);
      assert.equal(res.statusCode, 304, header);
      assert.equal(res.body, '');
      assert.equal(res.headers.etag, quoted);
    }
    for (const header of ['"stale"', 'stale', `W/"${bare.slice(1)}"`, `"${bare}x"`, ',']) {
      const res = await config(token, header);
      assert.equal(res.statusCode, 200, header);
      assert.equal(res.body, first.body);
    }
    // The user-facing config download is ETag'd the same way.
    const download = await call('GET', `/api/nodes/${web.node_id}/config`, { ...owner.headers, 'if-none-match': bare });
    assert.equal(download.statusCode, 304);
  });

  test('device polls are signs of life: first_polled_at on the first fetch, last_seen and active without heartbeats', async () => {
    const node = await create({ name: 'quiet' });
    const view = async () => (await call('GET', `/api/nodes/${node.node_id}`)).json();
    const before = await view();
    assert.deepEqual([before.status, before.last_seen, before.first_polled_at], ['pending', null, null]);
    assert.match(before.cert_fingerprint, /^[0-9a-f]{64}$/);

    const token = await deviceToken(node.node_id);
    assert.equal((await config(token)).statusCode, 200);
    const firstAt = new Date(clock).toISOString();
    const polled = await view();
    assert.deepEqual([polled.status, polled.last_seen, polled.first_polled_at], ['active', firstAt, firstAt]);

    // Within the write interval another poll writes nothing; first_polled_at never moves.
    clock += 5_000;
    const etag = (await config(token)).headers.etag as string;
    assert.equal((await view()).last_seen, firstAt);

    // A node that polls (even getting 304s) never reads offline; one that stops does. A refresh of last_seen
    // alone is written within a second, batched with the others.
    for (let i = 0; i < 8; i++) {
      clock += 60_000;
      assert.equal((await config(token, etag)).statusCode, 304);
      const polledAt = new Date(clock).toISOString();
      const seen = await waitFor(`poll ${i} written as last_seen`, async () => ((await view()).last_seen === polledAt ? view() : undefined));
      assert.equal(seen.status, 'active', `poll ${i}`);
    }
    clock += 301_000;
    const silent = await view();
    assert.deepEqual([silent.status, silent.first_polled_at], ['offline', firstAt]);

    // The certificate ZIP counts too.
    assert.equal((await call('GET', '/api/device/certs', bearer(token))).statusCode, 200);
    const zipAt = new Date(clock).toISOString();
    await waitFor('the ZIP fetch written as last_seen', async () => (await view()).last_seen === zipAt);
    assert.equal((await view()).status, 'active');
    const listed = (await call('GET', `/api/nodes?network_id=${networkId}`)).json().find((n: any) => n.id === node.node_id);
    assert.equal(listed.first_polled_at, firstAt);
    assert.equal(listed.cert_fingerprint, before.cert_fingerprint);
  });

  test('a last_seen refresh written after a revocation leaves the node revoked', async () => {
    const node = await create({ name: 'racer' });
    const view = async () => (await call('GET', `/api/nodes/${node.node_id}`)).json();
    const token = await deviceToken(node.node_id);
    assert.equal((await config(token)).statusCode, 200);
    clock += 60_000;
    const etag = (await config(token)).headers.etag as string;
    const refreshedAt = new Date(clock).toISOString();
    assert.equal((await call('POST', `/api/nodes/${node.node_id}/revoke-certificate`)).statusCode, 200);
    await waitFor('the refresh written', async () => (await view()).last_seen === refreshedAt);
    assert.equal((await view()).status, 'revoked');
    assert.equal((await config(token, etag)).statusCode, 409);
  });

  test('the certificate ZIP is a first fetch too', async () => {
    const node = await create({ name: 'zipper' });
    const token = await deviceToken(node.node_id);
    assert.equal((await call('GET', '/api/device/certs', bearer(token))).statusCode, 200);
    assert.equal((await call('GET', `/api/nodes/${node.node_id}`)).json().first_polled_at, new Date(clock).toISOString());
  });

  test('re-enroll keeps the running device token until the new enrollment code is redeemed', async () => {
    const node = await create({ name: 'laptop' });
    const token = await deviceToken(node.node_id);
    const before = await config(token);
    assert.equal(before.statusCode, 200);

    assert.equal((await call('POST', `/api/nodes/${node.node_id}/re-enroll`)).statusCode, 200);
    const reset = (await call('GET', `/api/nodes/${node.node_id}`)).json();
    assert.deepEqual([reset.status, reset.first_polled_at, reset.last_seen], ['pending', null, null], 'not polled since the re-enroll');
    const during = await config(token, before.headers.etag as string);
    assert.equal(during.statusCode, 200, 'the agent keeps polling and gets the new certificate');
    assert.notEqual(parse(during.body).pki.cert, parse(before.body).pki.cert);
    assert.equal((await call('GET', `/api/nodes/${node.node_id}`)).json().status, 'active', 'the running agent counts as polling');
    assert.equal((await call('GET', '/api/device/certs', bearer(token))).statusCode, 200);
    assert.equal((await call('POST', `/api/nodes/${node.node_id}/heartbeat`, bearer(token))).statusCode, 200);

    const fresh = await deviceToken(node.node_id);
    const retired = await config(token);
    assert.equal(retired.statusCode, 401, 'redeeming the new code retires the old token');
    assert.match(retired.json().detail, /enroll again/);
    assert.equal((await call('GET', '/api/device/certs', bearer(token))).statusCode, 401);
    assert.equal((await config(fresh)).statusCode, 200);
  });

  test('device tokens: 401 when missing, forged, a user token, or after a newer enrollment', async () => {
    const node = await create({ name: 'phone' });
    const token = await deviceToken(node.node_id);
    assert.equal((await config(token)).statusCode, 200);
    for (const headers of [{}, { authorization: 'Bearer nonsense' }, owner.headers, { authorization: `Basic ${token}` }]) {
      const res = await call('GET', '/api/device/config', headers);
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
      assert.deepEqual(Object.keys(res.json()), ['detail']);
    }
    const second = await deviceToken(node.node_id);
    assert.equal((await config(token)).statusCode, 401, 'a newer enrollment retires the older token');
    assert.equal((await config(second)).statusCode, 200);
    assert.equal((await call('GET', '/api/device/certs', bearer(token))).statusCode, 401);
    assert.equal((await call('POST', `/api/nodes/${node.node_id}/heartbeat`, bearer(token))).statusCode, 401);

    // A device token is no user credential.
    assert.equal((await call('GET', '/api/nodes', bearer(token))).statusCode, 401);
  });

  test('device certs: a ZIP whose host.crt verifies against ca.crt; no host.key when the client keeps its key', async () => {
    const token = await deviceToken(web.node_id);
    const res = await call('GET', '/api/device/certs', bearer(token));
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^application\/zip/);
    const files = unzipSync(res.rawPayload);
    assert.deepEqual(Object.keys(files).sort(), ['README.txt', 'ca.crt', 'host.crt', 'host.key']);
    verifyCertificate(certificateFromPem(strFromU8(files['host.crt'])), certificateFromPem(strFromU8(files['ca.crt'])));
    assert.equal(strFromU8(files['host.key']).trim(), web.private_key.trim());

    const signed = await call('POST', '/api/certificates/sign', owner.headers, { network_id: networkId, name: 'byok', public_key: hostPublicKeyToPem(generateHostKeyPair().publicKey) });
    assert.equal(signed.statusCode, 200, signed.body);
    const byok = unzipSync((await call('GET', '/api/device/certs', bearer(await deviceToken(signed.json().node_id)))).rawPayload);
    assert.deepEqual(Object.keys(byok).sort(), ['README.txt', 'ca.crt', 'host.crt']);
    const byokConfig = parse((await config(await deviceToken(signed.json().node_id))).body);
    assert.equal(byokConfig.pki.key, undefined, 'no key in the config either');
  });

  test('heartbeat with a device token: its own node only', async () => {
    const token = await deviceToken(lh.node_id);
    const res = await call('POST', `/api/nodes/${lh.node_id}/heartbeat`, bearer(token));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().ok, true);
    const node = (await call('GET', `/api/nodes/${lh.node_id}`)).json();
    assert.deepEqual([node.status, node.last_seen], ['active', res.json().last_seen]);
    assert.equal((await call('POST', `/api/nodes/${web.node_id}/heartbeat`, bearer(token))).statusCode, 403);
    assert.equal((await call('POST', `/api/nodes/${lh.node_id}/heartbeat`, {})).statusCode, 401);
  });
});

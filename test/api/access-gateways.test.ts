import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { accessWorld, wgKey } from '../helpers/access-world.js';
import { enroll, generateToken, wgPublicKey } from '../helpers/access-enroll.js';
import { waitFor } from '../helpers/wait.js';
import { onPostgres } from '../helpers/db.js';
import { movableClock } from '../helpers/fleet-rows.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const POOLS = '/v1/admin/settings/gateway-pools';
const RUNTIME = ['trust-anchors', 'policy-bundle', 'deployment-config', 'spc-bundle', 'auth-material-manifest'];

type Watch = (query: string) => Promise<{ statusCode: number; body: string; json(): any }>;

/** Changes are counted in the background: follow the serial until a one-second wait times out (304). */
async function settledSerial(watch: Watch, from: number): Promise<number> {
  let serial = from;
  let quiet = await watch(`since=${serial}&timeout_s=1`);
  for (let tries = 0; quiet.statusCode === 200 && tries < 20; tries++) {
    serial = quiet.json().serial;
    quiet = await watch(`since=${serial}&timeout_s=1`);
  }
  assert.equal(quiet.statusCode, 304, 'the serial settles');
  assert.equal(quiet.body, '');
  return serial;
}

describe('access gateways: pools, gateway enrollment, runtime routes, admission grants, sessions, the watch', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let viewer: SignedIn;
  let world: ReturnType<typeof accessWorld>;
  const clock = movableClock();
  before(async () => {
    r = await createTestRampart({ now: clock.now });
    world = accessWorld(r);
    [admin, viewer] = await Promise.all([signIn(r, { roles: ['admin'] }), signIn(r, { roles: ['viewer'] })]);
  });
  after(() => r.cleanup());

  const asAdmin = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, who = admin) =>
    r.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });
  const asGateway = (method: 'GET' | 'POST', url: string, token: string, payload?: object, headers: Record<string, string> = {}) =>
    r.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...headers }, ...(payload ? { payload } : {}) });

  async function pool(body: object = {}) {
    const res = await asAdmin('POST', POOLS, { name: `pool-${randomUUID().slice(0, 8)}`, region: 'eu-west', destinations: ['10.233.0.0/16'], ...body });
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  }

  async function enrolledGateway(poolId: string, name = 'gw-1') {
    const res = await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { token: world.gatewayToken(poolId), public_key: wgKey(), endpoint: '10.233.0.1:51820', name, admission_url: 'http://10.233.0.1:8081/v1/admit' } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json() as { gateway_id: string; gateway_token: string; pool_id: string };
  }

  test('pools: create, update by id, list, name clash, permissions, bad input, delete refused while gateways remain', async () => {
    const p = await pool({ min_healthy: 2 });
    assert.equal(p.selection, 'latency');
    assert.equal(p.channel, 'stable');
    assert.deepEqual(p.destinations, ['10.233.0.0/16']);

    const updated = await asAdmin('POST', POOLS, { id: p.id, name: p.name, region: 'us-east', channel: 'canary' });
    assert.equal(updated.statusCode, 200, updated.body);
    assert.equal(updated.json().region, 'us-east');
    assert.equal(updated.json().channel, 'canary');
    assert.equal(updated.json().min_healthy, 2, 'fields not given keep their value');

    const listed = await asAdmin('GET', POOLS, undefined, viewer);
    assert.equal(listed.statusCode, 200);
    assert.ok(listed.json().items.some((x: { id: string; region: string }) => x.id === p.id && x.region === 'us-east'));

    const other = await pool();
    const clash = await asAdmin('POST', POOLS, { id: other.id, name: p.name, region: 'x' });
    assert.equal(clash.statusCode, 409);
    assert.equal(clash.json().error, 'conflict');

    assert.equal((await asAdmin('POST', POOLS, { name: 'nope', region: 'x' }, viewer)).statusCode, 403);
    assert.equal((await r.app.inject({ method: 'GET', url: POOLS })).statusCode, 401);
    const bad = await asAdmin('POST', POOLS, { name: 'bad', region: 'x', destinations: ['not a cidr'] });
    assert.equal(bad.statusCode, 422);
    assert.equal(bad.json().error, 'validation_error');
    assert.ok(bad.json().detail.includes('destinations'), bad.body);
    assert.ok(!(await asAdmin('GET', POOLS)).json().items.some((x: { name: string }) => x.name === 'bad'));

    assert.equal((await asAdmin('DELETE', `${POOLS}/${randomUUID()}`)).statusCode, 404);
    const gw = await enrolledGateway(p.id);
    const refused = await asAdmin('DELETE', `${POOLS}/${p.id}`);
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error, 'conflict');
    assert.equal((await asAdmin('DELETE', `/v1/admin/gateways/${gw.gateway_id}`)).statusCode, 204);
    assert.equal((await asGateway('POST', '/v1/gateway/heartbeat', gw.gateway_token, {})).statusCode, 401, 'a removed gateway is no one');
    assert.equal((await asAdmin('DELETE', `${POOLS}/${p.id}`)).statusCode, 204);
    assert.ok(!(await asAdmin('GET', POOLS)).json().items.some((x: { id: string }) => x.id === p.id));
  });

  test('gateway enrollment: a gateway token works once; unknown 401, used 403, a device token 422, a bad endpoint 422', async () => {
    const p = await pool();
    const token = world.gatewayToken(p.id);
    const body = { token, public_key: wgKey(), endpoint: 'gw.example.test:51820', name: 'edge-a' };
    const first = await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: body });
    assert.equal(first.statusCode, 201, first.body);
    const enrolled = first.json();
    assert.equal(enrolled.pool_id, p.id);
    assert.match(enrolled.gateway_token, /^rgt_/);
    assert.equal(enrolled.status, 'pending');

    const again = await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: body });
    assert.equal(again.statusCode, 403);
    assert.equal(again.json().error, 'forbidden');
    const unknown = await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { ...body, token: 'ret_nope' } });
    assert.equal(unknown.statusCode, 401);
    assert.equal(unknown.json().error, 'unauthorized');
    const deviceKind = await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { ...body, token: world.gatewayToken(p.id, 'device') } });
    assert.equal(deviceKind.statusCode, 422, deviceKind.body);
    const badEndpoint = await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { ...body, token: world.gatewayToken(p.id), endpoint: 'no-port' } });
    assert.equal(badEndpoint.statusCode, 422);
    const health = (await asAdmin('GET', '/v1/admin/gateway/health')).json();
    assert.equal(health.gateways.filter((g: { pool_id: string }) => g.pool_id === p.id).length, 1, 'only the first enrollment made a gateway');
    assert.ok(!JSON.stringify(health).includes(enrolled.gateway_token), 'the credential is shown once');
    const audited = await r.core.db.kysely.selectFrom('audit_events').select(['action', 'result']).where('resource_id', '=', enrolled.gateway_id).execute();
    assert.deepEqual(audited, [{ action: 'access.gateway.enroll', result: 'success' }]);
  });

  test('heartbeats move a gateway pending -> online -> degraded -> online -> degraded (missed) -> offline, and the pool health follows', async () => {
    const p = await pool({ min_healthy: 1 });
    const gw = await enrolledGateway(p.id);
    const health = async () => {
      const h = (await asAdmin('GET', '/v1/admin/gateway/health', undefined, viewer)).json();
      return { status: h.gateways.find((g: { id: string }) => g.id === gw.gateway_id).status, pool: h.pools.find((x: { pool_id: string }) => x.pool_id === p.id) };
    };
    assert.equal((await health()).status, 'pending');
    assert.equal((await asGateway('POST', '/v1/gateway/heartbeat', gw.gateway_token, { version: '1.2.3', active_sessions: 0 })).json().status, 'online');
    assert.deepEqual((await health()).pool, { pool_id: p.id, name: p.name, region: 'eu-west', healthy: 1, total: 1, min_healthy: 1, ok: true });
    assert.equal((await asGateway('POST', '/v1/gateway/heartbeat', gw.gateway_token, { status: 'degraded' })).json().status, 'degraded');
    assert.equal((await health()).pool.ok, false);
    assert.equal((await asGateway('POST', '/v1/gateway/heartbeat', gw.gateway_token, {})).json().status, 'online');
    clock.advance(60_000);
    assert.equal((await health()).status, 'degraded', 'three missed heartbeats');
    clock.advance(70_000);
    assert.equal((await health()).status, 'offline');
    assert.equal((await asGateway('GET', '/v1/admin/gateway/health', 'not-an-admin')).statusCode, 401);
    assert.equal((await asGateway('POST', '/v1/gateway/heartbeat', gw.gateway_token, {})).json().status, 'online');
  });

  test('every runtime route: 200 with an ETag, 304 on If-None-Match, a new ETag after a change, 401 for a device or no credential', async () => {
    const p = await pool();
    const gw = await enrolledGateway(p.id);
    const unpublished = await asGateway('GET', '/v1/gateway/runtime/policy-bundle', gw.gateway_token);
    assert.equal(unpublished.statusCode, 404, 'no stable bundle yet');
    assert.equal(unpublished.json().error, 'not_found');
    const published = await asAdmin('POST', '/v1/admin/policy/publish', {
      channel: 'stable', rules: [{ name: 'eng-web', sources: { group_ids: ['eng'] }, destinations: [{ cidr: '10.233.1.0/24', protocol: 'tcp', ports: ['8080'] }] }],
    });
    assert.equal(published.statusCode, 200, published.body);
    for (const name of RUNTIME) {
      const url = `/v1/gateway/runtime/${name}`;
      const first = await asGateway('GET', url, gw.gateway_token);
      assert.equal(first.statusCode, 200, `${name}: ${first.body}`);
      const etag = first.headers.etag as string;
      assert.ok(etag, `${name} has an ETag`);
      const cached = await asGateway('GET', url, gw.gateway_token, undefined, { 'if-none-match': etag });
      assert.equal(cached.statusCode, 304, name);
      assert.equal(cached.body, '');
      assert.equal((await r.app.inject({ method: 'GET', url })).statusCode, 401, `${name} without a credential`);
      const asDevice = await asGateway('GET', url, 'rdv_a-device-credential');
      assert.equal(asDevice.statusCode, 401, `${name} with a device credential`);
      assert.equal(asDevice.json().error, 'unauthorized');
      assert.equal((await asGateway('GET', url, admin.token)).statusCode, 401, `${name} with an admin bearer`);
    }
    const config = (await asGateway('GET', '/v1/gateway/runtime/deployment-config', gw.gateway_token)).json();
    assert.equal(config.pool_id, p.id);
    assert.equal(config.listen_port, 51820);
    assert.equal(config.overlay_cidr, '100.96.0.0/16');

    // A changed pool is a changed deployment config; changed anchors are changed anchors.
    const before = (await asGateway('GET', '/v1/gateway/runtime/deployment-config', gw.gateway_token)).headers.etag as string;
    await asAdmin('POST', POOLS, { id: p.id, name: p.name, region: p.region, mtu: 1380 });
    const after = await asGateway('GET', '/v1/gateway/runtime/deployment-config', gw.gateway_token, undefined, { 'if-none-match': before });
    assert.equal(after.statusCode, 200);
    assert.equal(after.json().mtu, 1380);
    const bundle = (await asGateway('GET', '/v1/gateway/runtime/policy-bundle', gw.gateway_token)).json();
    assert.equal(bundle.digest, published.json().digest, "the pool's channel bundle, as the policy part signed it");

    const anchors = await asGateway('GET', '/v1/gateway/runtime/trust-anchors', gw.gateway_token);
    assert.equal((await asAdmin('POST', '/v1/trust/anchors/rotate', {})).statusCode, 200);
    const rotated = await asGateway('GET', '/v1/gateway/runtime/trust-anchors', gw.gateway_token, undefined, { 'if-none-match': anchors.headers.etag as string });
    assert.equal(rotated.statusCode, 200, 'rotated anchors are new anchors');
    assert.notEqual(rotated.headers.etag, anchors.headers.etag);

    const manifest = (await asGateway('GET', '/v1/gateway/runtime/auth-material-manifest', gw.gateway_token)).json();
    assert.deepEqual(manifest.items.map((i: { name: string }) => i.name).sort(), ['deployment-config', 'policy-bundle', 'spc-bundle', 'trust-anchors']);
    assert.ok(manifest.items.every((i: { sha256: string }) => /^[0-9a-f]{64}$/.test(i.sha256)));
  });

  test('admission grant: allow with the device, groups, destinations and expiry min(SPC, 15 min); ETag/304; every deny reason', async () => {
    const p = await pool();
    const gw = await enrolledGateway(p.id);
    const grant = (deviceId: string, publicKey: string, headers: Record<string, string> = {}) =>
      asGateway('GET', `/v1/gateway/runtime/client-admission-grant?device_id=${deviceId}&public_key=${encodeURIComponent(publicKey)}`, gw.gateway_token, undefined, headers);

    const d = world.device();
    const asked = clock.now().getTime();
    const ok = await grant(d.id, d.public_key);
    const answered = clock.now().getTime();
    assert.equal(ok.statusCode, 200, ok.body);
    const g = ok.json();
    assert.equal(g.allow, true);
    assert.equal(g.reason, 'allowed');
    assert.equal(g.device_id, d.id);
    assert.equal(g.overlay_ip, d.overlay_ip);
    assert.equal(g.public_key, d.public_key);
    assert.deepEqual(g.group_ids, ['eng']);
    assert.deepEqual(g.destinations, [{ cidr: '10.233.1.0/24', protocol: 'tcp', ports: ['8080'] }]);
    const expires = new Date(g.expires_at).getTime();
    assert.ok(expires >= asked + 15 * 60_000 && expires <= answered + 15 * 60_000, `a day-long SPC: the 15 min grant TTL (${g.expires_at})`);
    assert.equal((await grant(d.id, d.public_key, { 'if-none-match': ok.headers.etag as string })).statusCode, 304, 'nothing changed: same grant');

    const shortSpc = new Date(clock.now().getTime() + 5 * 60_000).toISOString();
    await world.setSpc(d.id, { serial: 's2', expires_at: shortSpc, valid: true });
    const short = (await grant(d.id, d.public_key)).json();
    assert.equal(short.expires_at, shortSpc, 'an SPC ending sooner ends the grant');
    assert.notEqual(short.grant_id, g.grant_id);

    const denied = async (deviceId: string, reason: string, publicKey = d.public_key) => {
      const res = (await grant(deviceId, publicKey)).json();
      assert.equal(res.allow, false, reason);
      assert.equal(res.reason, reason);
      assert.deepEqual(res.destinations, []);
      assert.equal(res.expires_at, null);
    };
    await denied(d.id, 'public_key_mismatch', wgKey());
    await denied(randomUUID(), 'device_unknown');

    const revoked = world.device();
    await world.setDevice(revoked.id, { status: 'revoked' });
    await denied(revoked.id, 'device_revoked', revoked.public_key);

    const user = await r.core.identity.users.create({ username: `dev-user-${randomUUID().slice(0, 6)}`, password: 'correct horse battery staple', roles: [] });
    const owned = world.device({ user_id: user.id });
    assert.equal((await grant(owned.id, owned.public_key)).json().allow, true);
    await r.core.identity.users.suspend(user.id);
    await world.changed({ reason: 'user', user_id: user.id });
    await denied(owned.id, 'user_suspended', owned.public_key);

    const sick = world.device();
    await world.setPosture(sick.id, 'noncompliant');
    await denied(sick.id, 'posture_noncompliant', sick.public_key);

    const nowhere = world.device();
    await world.setDestinations(nowhere.id, []);
    await denied(nowhere.id, 'no_destinations', nowhere.public_key);
    const outside = world.device();
    await world.setDestinations(outside.id, [{ cidr: '10.99.0.0/24', protocol: 'any', ports: [] }]);
    await denied(outside.id, 'no_destinations', outside.public_key);

    const expired = world.device();
    await world.setSpc(expired.id, { serial: 'old', expires_at: new Date(clock.now().getTime() - 1000).toISOString(), valid: true });
    await denied(expired.id, 'spc_invalid', expired.public_key);
    const spcRevoked = world.device();
    await world.setSpc(spcRevoked.id, { serial: 'rv', expires_at: new Date(clock.now().getTime() + 3_600_000).toISOString(), valid: false, reason: 'revoked' });
    await denied(spcRevoked.id, 'spc_invalid', spcRevoked.public_key);
    const noSpc = world.device();
    await world.setSpc(noSpc.id, null);
    await denied(noSpc.id, 'spc_missing', noSpc.public_key);

    const badQuery = await asGateway('GET', '/v1/gateway/runtime/client-admission-grant?device_id=nope&public_key=x', gw.gateway_token);
    assert.equal(badQuery.statusCode, 422);
  });

  test('metering is recorded once per window; sessions list; connection_truth flags a revoked device its gateway still reports', async () => {
    const p = await pool();
    const gw = await enrolledGateway(p.id);
    const d = world.device();
    const other = world.device();
    const sid = randomUUID();
    const otherSid = randomUUID();
    const window = (start: number, sessions: object[]) => ({
      window_start: new Date(start).toISOString(), window_end: new Date(start + 60_000).toISOString(), active_sessions: sessions.length, sessions,
    });
    const t0 = clock.now().getTime();
    const first = window(t0, [
      { session_id: sid, device_id: d.id, bytes_rx: 1000, bytes_tx: 500, started_at: new Date(t0).toISOString(), client_ip: '10.233.9.2' },
      { session_id: otherSid, device_id: other.id, bytes_rx: 10, bytes_tx: 10, started_at: new Date(t0).toISOString() },
    ]);
    const posted = await asGateway('POST', '/v1/gateway/metering', gw.gateway_token, first);
    assert.equal(posted.statusCode, 200, posted.body);
    assert.equal(posted.json().recorded, true);
    const retried = await asGateway('POST', '/v1/gateway/metering', gw.gateway_token, first);
    assert.equal(retried.json().recorded, false);

    const sessions = async (query = '') => (await asAdmin('GET', `/v1/admin/sessions?gateway_id=${gw.gateway_id}${query}`, undefined, viewer)).json().items;
    let mine = (await sessions(`&device_id=${d.id}`))[0];
    assert.equal(mine.bytes_rx, 1000, 'the retried window was not counted twice');
    assert.equal(mine.bytes_tx, 500);
    assert.equal(mine.state, 'active');
    assert.equal(mine.pool_id, p.id);
    assert.equal(mine.overlay_ip, d.overlay_ip);
    assert.equal(mine.client_ip, '10.233.9.2');

    await asGateway('POST', '/v1/gateway/metering', gw.gateway_token, window(t0 + 60_000, [
      { session_id: sid, device_id: d.id, bytes_rx: 200, bytes_tx: 100, started_at: new Date(t0).toISOString() },
      { session_id: otherSid, device_id: other.id, bytes_rx: 0, bytes_tx: 0, started_at: new Date(t0).toISOString() },
    ]));
    mine = (await sessions(`&device_id=${d.id}`))[0];
    assert.equal(mine.bytes_rx, 1200);

    const truth = async () => (await asAdmin('GET', '/v1/admin/connection_truth', undefined, viewer)).json();
    const itemOf = (t: { items: { session_id: string; verdict: string }[] }, id: string) => t.items.find((i) => i.session_id === id);
    assert.equal(itemOf(await truth(), sid)?.verdict, 'consistent');

    // The enrollment part revokes: device row, sessions closed through the hook, ACCESS_CHANGED. The gateway has not caught up.
    await world.setDevice(d.id, { status: 'revoked' });
    await world.hooks.closeSessions([d.id], 'device_revoked');
    const closed = (await sessions(`&device_id=${d.id}`))[0];
    assert.equal(closed.state, 'closed');
    assert.equal(closed.closed_reason, 'device_revoked');
    await asGateway('POST', '/v1/gateway/metering', gw.gateway_token, window(t0 + 120_000, [
      { session_id: sid, device_id: d.id, bytes_rx: 5, bytes_tx: 5, started_at: new Date(t0).toISOString() },
      { session_id: otherSid, device_id: other.id, bytes_rx: 0, bytes_tx: 0, started_at: new Date(t0).toISOString() },
    ]));
    const flagged = await truth();
    const item = flagged.items.find((i: { session_id: string }) => i.session_id === sid);
    assert.equal(item.verdict, 'revoked_but_connected');
    assert.equal(item.expected, 'denied');
    assert.equal(item.observed, 'connected');
    assert.equal(item.reason, 'device_revoked');
    assert.ok(flagged.alerts >= 1);
    assert.equal(itemOf(flagged, otherSid)?.verdict, 'consistent');

    // The gateway drops the peer: its next window no longer carries the session, and the alert clears.
    await asGateway('POST', '/v1/gateway/metering', gw.gateway_token, window(t0 + 180_000, [
      { session_id: otherSid, device_id: other.id, bytes_rx: 0, bytes_tx: 0, started_at: new Date(t0).toISOString() },
    ]));
    assert.equal(itemOf(await truth(), sid), undefined);
    assert.equal((await sessions('&state=closed')).length, 1);

    // A device the control plane never enrolled is a ghost, not a revocation.
    const ghost = randomUUID();
    await asGateway('POST', '/v1/gateway/metering', gw.gateway_token, window(t0 + 240_000, [
      { session_id: otherSid, device_id: other.id, bytes_rx: 0, bytes_tx: 0, started_at: new Date(t0).toISOString() },
      { session_id: ghost, device_id: randomUUID(), bytes_rx: 1, bytes_tx: 1, started_at: new Date(t0 + 1000).toISOString() },
    ]));
    assert.equal(itemOf(await truth(), ghost)?.verdict, 'ghost_session');

    // A late window older than the newest adds its bytes but does not say the dropped session is up again.
    const late = await asGateway('POST', '/v1/gateway/metering', gw.gateway_token, window(t0 - 60_000, [
      { session_id: sid, device_id: d.id, bytes_rx: 7, bytes_tx: 0, started_at: new Date(t0).toISOString() },
    ]));
    assert.equal(late.json().recorded, true);
    assert.equal(itemOf(await truth(), sid), undefined);
    assert.equal((await sessions(`&device_id=${d.id}`))[0].bytes_rx, 1212);

    // Pages of one, newest started first, each session once.
    const page1 = (await asAdmin('GET', `/v1/admin/sessions?gateway_id=${gw.gateway_id}&limit=1`)).json();
    assert.equal(page1.items[0].id, ghost);
    const page2 = (await asAdmin('GET', `/v1/admin/sessions?gateway_id=${gw.gateway_id}&limit=1&cursor=${page1.next_cursor}`)).json();
    const page3 = (await asAdmin('GET', `/v1/admin/sessions?gateway_id=${gw.gateway_id}&limit=1&cursor=${page2.next_cursor}`)).json();
    assert.deepEqual([page2.items[0].id, page3.items[0].id].sort(), [sid, otherSid].sort());
    assert.equal(page3.next_cursor, null);
    assert.equal((await asAdmin('GET', '/v1/admin/sessions?cursor=garbage')).statusCode, 422);

    const foreign = await asGateway('POST', '/v1/gateway/metering', gw.gateway_token, { ...window(t0 + 300_000, []), gateway_id: randomUUID() });
    assert.equal(foreign.statusCode, 422);
    const backwards = await asGateway('POST', '/v1/gateway/metering', gw.gateway_token, { ...window(t0 + 360_000, []), window_end: new Date(t0).toISOString() });
    assert.equal(backwards.statusCode, 422);
    assert.equal((await asAdmin('GET', '/v1/admin/connection_truth', undefined, await signIn(r, { permissions: ['access_gateway:read'] }))).statusCode, 403);
  });

  test('the watch long poll answers once an ACCESS_CHANGED lands, at once when already past since, and 304 on timeout', async () => {
    const p = await pool();
    const gw = await enrolledGateway(p.id);
    const watch = (query: string) => asGateway('GET', `/v1/gateway/runtime/watch?${query}`, gw.gateway_token);
    const past = await watch('since=0');
    assert.equal(past.statusCode, 200, 'enrolling published a change already');
    assert.ok(past.json().serial > 0);
    const serial = await settledSerial(watch, past.json().serial);

    const pending = watch(`since=${serial}`);
    await world.changed({ reason: 'device', device_ids: [randomUUID()] });
    const answered = await pending;
    assert.equal(answered.statusCode, 200, answered.body);
    assert.ok(answered.json().serial > serial);
    assert.equal((await r.app.inject({ method: 'GET', url: `/v1/gateway/runtime/watch?since=${serial}` })).statusCode, 401);
  });
});

test('a change published on one node answers a watch waiting on another (PostgreSQL bus bridge)', { skip: !onPostgres && 'needs PostgreSQL (set RAMPART_TEST_DATABASE_URL)' }, async () => {
  const a = await createTestRampart();
  const b = await createTestRampart({ tdb: a.tdb });
  try {
    const world = accessWorld(a);
    const admin = await signIn(a, { roles: ['admin'] });
    const created = await a.app.inject({ method: 'POST', url: POOLS, headers: admin.headers, payload: { name: 'two-nodes', region: 'eu' } });
    assert.equal(created.statusCode, 201, created.body);
    const enrolled = await a.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { token: world.gatewayToken(created.json().id), public_key: wgKey(), endpoint: '10.233.0.9:51820', name: 'gw-b' } });
    assert.equal(enrolled.statusCode, 201, enrolled.body);
    const watchOnB: Watch = (query) => b.app.inject({ method: 'GET', url: `/v1/gateway/runtime/watch?${query}`, headers: { authorization: `Bearer ${enrolled.json().gateway_token}` } });
    const serial = await settledSerial(watchOnB, 0);
    const pending = watchOnB(`since=${serial}`);
    await world.changed({ reason: 'device', device_ids: [randomUUID()] });
    const answered = await pending;
    assert.equal(answered.statusCode, 200, answered.body);
    assert.ok(answered.json().serial > serial);
  } finally {
    await b.cleanup();
    await a.cleanup();
  }
});

describe('access gateways with the enrollment and policy parts: real tokens, devices, bundles, SPCs and posture', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let eng: { id: string };
  let poolId: string;
  let gateway: { gateway_id: string; gateway_token: string };
  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    eng = await r.core.identity.groups.create({ name: `eng-${randomUUID().slice(0, 6)}` });
    const created = await api('POST', POOLS, { name: 'real', region: 'eu', destinations: ['10.233.0.0/16'] });
    assert.equal(created.statusCode, 201, created.body);
    poolId = created.json().id;
    const published = await api('POST', '/v1/admin/policy/publish', {
      channel: 'stable',
      posture: { required: ['disk_encrypted'] },
      rules: [{ name: 'eng-web', sources: { group_ids: [eng.id] }, destinations: [{ cidr: '10.233.1.0/24', protocol: 'tcp', ports: ['8080'] }] }],
    });
    assert.equal(published.statusCode, 200, published.body);
    const enrolled = await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { token: (await generateToken(r, admin, { kind: 'gateway', pool_id: poolId })).secret, public_key: wgPublicKey(), endpoint: '10.233.0.1:51820', name: 'gw-real', admission_url: 'http://10.233.0.1:8081/v1/admit' } });
    assert.equal(enrolled.statusCode, 201, enrolled.body);
    gateway = enrolled.json();
  });
  after(() => r.cleanup());

  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => r.app.inject({ method, url, headers: admin.headers, ...(payload ? { payload } : {}) });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const grant = async (device: { device_id: string; public_key: string }) =>
    (await r.app.inject({ method: 'GET', url: `/v1/gateway/runtime/client-admission-grant?device_id=${device.device_id}&public_key=${encodeURIComponent(device.public_key)}`, headers: bearer(gateway.gateway_token) })).json();

  /** Enrolls a device with a fresh token (in eng unless told otherwise) and asserts a compliant posture. */
  async function device(opts: { groups?: string[]; bound_user_id?: string } = {}) {
    const token = await generateToken(r, admin, { auto_group_ids: opts.groups ?? [eng.id], ...(opts.bound_user_id ? { bound_user_id: opts.bound_user_id } : {}) });
    const public_key = wgPublicKey();
    const res = await enroll(r, token.secret, { public_key });
    assert.equal(res.statusCode, 201, res.body);
    const d = { ...res.json(), public_key } as { device_id: string; device_token: string; public_key: string; pools: unknown[]; spc: { expires_at: string } };
    const posture = await r.app.inject({ method: 'POST', url: '/v1/posture/assertion', headers: bearer(d.device_token), payload: { facts: { disk_encrypted: true } } });
    assert.equal(posture.json().verdict, 'compliant', posture.body);
    return d;
  }

  test('a real gateway token enrolls once (used 403, unknown 401); a device token is 401 on gateway routes and a gateway token on device routes', async () => {
    const token = await generateToken(r, admin, { kind: 'gateway', pool_id: poolId });
    const body = { token: token.secret, public_key: wgPublicKey(), endpoint: '10.233.0.2:51820', name: 'gw-once' };
    assert.equal((await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: body })).statusCode, 201);
    const again = await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { ...body, name: 'gw-twice' } });
    assert.equal(again.statusCode, 403, again.body);
    const unknown = await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { ...body, token: 'ret_unknown' } });
    assert.equal(unknown.statusCode, 401, unknown.body);
    const deviceToken = await generateToken(r, admin, {});
    assert.equal((await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { ...body, token: deviceToken.secret } })).statusCode, 403, 'a device token is not redeemed for a gateway');

    const d = await device();
    const grantOf = `client-admission-grant?device_id=${d.device_id}&public_key=${encodeURIComponent(d.public_key)}`;
    for (const name of [...RUNTIME, grantOf, 'watch?since=0&timeout_s=1']) {
      const res = await r.app.inject({ method: 'GET', url: `/v1/gateway/runtime/${name}`, headers: bearer(d.device_token) });
      assert.equal(res.statusCode, 401, `${name} refuses a device token`);
      assert.equal(res.json().error, 'unauthorized');
    }
    const metering = await r.app.inject({ method: 'POST', url: '/v1/gateway/metering', headers: bearer(d.device_token), payload: { window_start: new Date().toISOString(), window_end: new Date().toISOString(), active_sessions: 0, sessions: [] } });
    assert.equal(metering.statusCode, 401);
    assert.equal((await r.app.inject({ method: 'GET', url: '/v1/gateway/pools', headers: bearer(gateway.gateway_token) })).statusCode, 401);
  });

  test('enroll answers the pools; the directory shows in-service gateways (ETag/304); telemetry lands on the device\'s own session', async () => {
    const d = await device();
    const inEnroll = (d.pools as { pool_id: string; endpoints: unknown[] }[]).find((p) => p.pool_id === poolId);
    assert.ok(inEnroll, 'the enroll response lists the pool');
    const directory = (headers: Record<string, string> = {}) => r.app.inject({ method: 'GET', url: '/v1/gateway/pools', headers: { ...bearer(d.device_token), ...headers } });
    const first = await directory();
    assert.equal(first.statusCode, 200, first.body);
    assert.equal((await directory({ 'if-none-match': first.headers.etag as string })).statusCode, 304);
    await r.app.inject({ method: 'POST', url: '/v1/gateway/heartbeat', headers: bearer(gateway.gateway_token), payload: {} });
    const entry = (await directory()).json().find((p: { pool_id: string }) => p.pool_id === poolId);
    assert.equal(entry.healthy, true);
    assert.deepEqual(entry.endpoints.map((e: { gateway_id: string; port: number }) => [e.gateway_id, e.port]), [[gateway.gateway_id, 51820]]);

    const sid = randomUUID();
    const sent = await r.app.inject({ method: 'POST', url: '/v1/telemetry/session', headers: bearer(d.device_token), payload: { session_id: sid, gateway_id: gateway.gateway_id, rtt_ms: 12.5, loss_pct: 0.5 } });
    assert.equal(sent.statusCode, 200, sent.body);
    const other = await device();
    const theirs = await r.app.inject({ method: 'POST', url: '/v1/telemetry/session', headers: bearer(other.device_token), payload: { session_id: sid, gateway_id: gateway.gateway_id, rtt_ms: 999 } });
    assert.equal(theirs.statusCode, 404, "another device's session");
    const listed = (await api('GET', `/v1/admin/sessions?device_id=${d.device_id}`)).json().items;
    assert.equal(listed.length, 1);
    assert.equal(listed[0].rtt_ms, 12.5);
  });

  test('grants follow the real parts: allowed in eng; denied for no destinations, noncompliant posture, a revoked device, a suspended user', async () => {
    const d = await device();
    const allowed = await grant(d);
    assert.equal(allowed.allow, true, JSON.stringify(allowed));
    assert.deepEqual(allowed.destinations, [{ cidr: '10.233.1.0/24', protocol: 'tcp', ports: ['8080'] }]);
    assert.ok(allowed.group_ids.includes(eng.id));
    assert.ok(Date.parse(allowed.expires_at) <= Date.parse(d.spc.expires_at));

    assert.equal((await grant(await device({ groups: [] }))).reason, 'no_destinations');

    const sick = await device();
    assert.equal((await grant(sick)).allow, true);
    const failed = await r.app.inject({ method: 'POST', url: '/v1/posture/assertion', headers: bearer(sick.device_token), payload: { facts: { disk_encrypted: false } } });
    assert.equal(failed.json().verdict, 'noncompliant');
    assert.equal((await grant(sick)).reason, 'posture_noncompliant');

    const revoked = await device();
    assert.equal((await grant(revoked)).allow, true);
    const lifecycle = await api('POST', '/v1/admin/devices/lifecycle', { action: 'revoke', device_id: revoked.device_id, reason: 'lost' });
    assert.equal(lifecycle.statusCode, 200, lifecycle.body);
    assert.equal((await grant(revoked)).reason, 'device_revoked');

    const user = await r.core.identity.users.create({ username: `owner-${randomUUID().slice(0, 6)}`, password: 'correct horse battery staple', roles: [] });
    const owned = await device({ bound_user_id: user.id });
    assert.equal((await grant(owned)).allow, true);
    await r.core.identity.users.suspend(user.id);
    // The enrollment part follows the identity change in the background (revokes SPCs, closes sessions, publishes).
    const denied = await waitFor('the suspended user\'s grant to be refused', async () => {
      const g = await grant(owned);
      return g.allow ? undefined : g;
    });
    assert.equal(denied.reason, 'user_suspended');
  });

  test('revoking a device through the API answers a waiting watch and shows in connection_truth while its gateway still reports it', async () => {
    const d = await device();
    const watch = (query: string) => r.app.inject({ method: 'GET', url: `/v1/gateway/runtime/watch?${query}`, headers: bearer(gateway.gateway_token) });
    const serial = await settledSerial(watch, 0);
    const sid = randomUUID();
    const started = new Date().toISOString();
    const meter = (start: number) => r.app.inject({
      method: 'POST', url: '/v1/gateway/metering', headers: bearer(gateway.gateway_token),
      payload: { window_start: new Date(start).toISOString(), window_end: new Date(start + 60_000).toISOString(), active_sessions: 1, sessions: [{ session_id: sid, device_id: d.device_id, bytes_rx: 100, bytes_tx: 50, started_at: started }] },
    });
    const t0 = Date.now();
    assert.equal((await meter(t0)).statusCode, 200);
    const pending = watch(`since=${serial}`);
    const revoked = await api('POST', '/v1/admin/devices/lifecycle', { action: 'revoke', device_id: d.device_id, reason: 'stolen' });
    assert.equal(revoked.statusCode, 200, revoked.body);
    const pushed = await pending;
    assert.equal(pushed.statusCode, 200, pushed.body);
    assert.ok(pushed.json().serial > serial);

    const session = (await api('GET', `/v1/admin/sessions?device_id=${d.device_id}`)).json().items[0];
    assert.equal(session.state, 'closed', 'the enrollment part closed it through the closeSessions hook');
    assert.equal((await meter(t0 + 60_000)).statusCode, 200);
    const item = (await api('GET', '/v1/admin/connection_truth')).json().items.find((i: { session_id: string }) => i.session_id === sid);
    assert.equal(item.verdict, 'revoked_but_connected');
    assert.equal(item.reason, 'device_revoked');
  });
});

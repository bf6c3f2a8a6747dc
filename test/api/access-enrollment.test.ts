import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACCESS_CHANGED, type AccessChange } from '../../src/modules/access/access.types.js';
import { accessServices } from '../../src/modules/access/access.services.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { movableClock } from '../helpers/fleet-rows.js';
import { waitFor } from '../helpers/wait.js';
import { onPostgres } from '../helpers/db.js';
import { deviceInfo, enroll, generateToken, wgPublicKey } from '../helpers/access-enroll.js';

const UNKNOWN = '00000000-0000-4000-8000-0000000000aa';
const MINUTE_MS = 60_000;

describe('access enrollment: tokens, POST /v1/enroll, devices and their lifecycle', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let reader: SignedIn;
  let nobody: SignedIn;
  const clock = movableClock();
  const changes: AccessChange[] = [];
  const revokedSpcs: { ids: string[]; reason: string }[] = [];
  const closed: { ids: string[]; reason: string }[] = [];

  before(async () => {
    r = await createTestRampart({ now: clock.now, overrides: { 'access.enroll_rate_limit_per_minute': 10_000 } });
    [admin, reader, nobody] = await Promise.all([
      signIn(r, { roles: ['admin'] }),
      signIn(r, { permissions: ['access_device:read', 'access_token:read'] }),
      signIn(r, { permissions: ['host:read'] }),
    ]);
    const access = accessServices(r.core);
    // The policy and gateways parts fill these; here they record what enrollment asked of them.
    access.hooks.revokeSpcs = async (ids, reason) => void revokedSpcs.push({ ids, reason });
    access.hooks.closeSessions = async (ids, reason) => void closed.push({ ids, reason });
    access.hooks.enrollmentPolicy = async (device) => ({ policy_digest: `sha256:test-${device.channel}` });
    r.core.events.subscribe(ACCESS_CHANGED, (event) => void changes.push(event.payload as AccessChange));
  });
  after(() => r.cleanup());

  const call = (method: 'GET' | 'POST', url: string, who: SignedIn | null, payload?: object) =>
    r.app.inject({ method, url, headers: who?.headers ?? {}, ...(payload ? { payload } : {}) });
  const auditOf = async (action: string) =>
    r.core.db.kysely.selectFrom('audit_events').selectAll().where('action', '=', action).orderBy('occurred_at').execute();

  test('generate shows the secret once; get and list never do; list filters by status', async () => {
    const t = await generateToken(r, admin, { name: 'laptops', max_uses: 2 });
    assert.match(t.secret, /^ret_[A-Za-z0-9_-]{43}$/);
    assert.equal(t.status, 'active');
    assert.equal(t.max_uses, 2);
    assert.ok(t.secret.startsWith(t.prefix as string));
    const got = await call('GET', `/v1/admin/tokens/${t.id}`, reader);
    assert.equal(got.statusCode, 200);
    assert.equal(got.json().secret, undefined);
    assert.ok(!got.body.includes(t.secret), 'the secret is never shown again');
    const listed = await call('GET', '/v1/admin/tokens?status=active', reader);
    assert.ok(!listed.body.includes(t.secret));
    assert.ok(listed.json().items.some((x: { id: string }) => x.id === t.id));
    const row = await r.core.db.kysely.selectFrom('access_enrollment_tokens').selectAll().where('id', '=', t.id).executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(row).includes(t.secret), 'only a hash is stored');

    const revoked = await call('POST', `/v1/admin/tokens/${t.id}/revoke`, admin);
    assert.equal(revoked.json().status, 'revoked');
    assert.ok((await call('GET', '/v1/admin/tokens?status=revoked', reader)).json().items.some((x: { id: string }) => x.id === t.id));
    assert.ok(!(await call('GET', '/v1/admin/tokens?status=active', reader)).json().items.some((x: { id: string }) => x.id === t.id));
    const again = await call('POST', `/v1/admin/tokens/${t.id}/revoke`, admin);
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error, 'conflict');
    const audits = await auditOf('access.token.generate');
    assert.ok(audits.some((a) => a.resource_id === t.id && a.actor_id === admin.user.id));
    assert.ok(!JSON.stringify(audits).includes(t.secret), 'the audit trail has no secret either');
    assert.equal((await auditOf('access.token.revoke')).filter((a) => a.resource_id === t.id && a.result === 'success').length, 1);
  });

  test('token admin errors: 401, 403, 404, 422 in the access envelope', async () => {
    const anon = await call('POST', '/v1/admin/tokens/generate', null, {});
    assert.equal(anon.statusCode, 401);
    assert.equal(anon.json().error, 'unauthorized');
    const denied = await call('POST', '/v1/admin/tokens/generate', reader, {});
    assert.equal(denied.statusCode, 403);
    assert.deepEqual(Object.keys(denied.json()).sort(), ['detail', 'error']);
    assert.equal((await call('GET', '/v1/admin/tokens', nobody)).statusCode, 403);
    const missing = await call('GET', `/v1/admin/tokens/${UNKNOWN}`, reader);
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error, 'not_found');
    for (const bad of [{ max_uses: -1 }, { kind: 'printer' }, { expires_in_s: 400 * 86_400 }, { kind: 'gateway' }, { bound_user_id: UNKNOWN }, { auto_group_ids: [UNKNOWN] }, { surprise: true }]) {
      const res = await call('POST', '/v1/admin/tokens/generate', admin, bad);
      assert.equal(res.statusCode, 422, JSON.stringify(bad));
      assert.equal(res.json().error, 'validation_error');
    }
    assert.equal((await call('GET', '/v1/admin/tokens?status=lost', reader)).statusCode, 422);
    const before = (await r.core.db.kysely.selectFrom('access_enrollment_tokens').select('id').execute()).length;
    await call('POST', '/v1/admin/tokens/generate', admin, { max_uses: -1 });
    assert.equal((await r.core.db.kysely.selectFrom('access_enrollment_tokens').select('id').execute()).length, before, 'nothing stored');
  });

  test('enroll: a device with an overlay address and a device token; 401, 403, 422, 409 on the spec codes', async () => {
    const group = await r.core.identity.groups.create({ name: 'eng' });
    const user = await r.core.identity.users.create({ username: 'dev-owner', email: 'owner@example.test' });
    await r.core.identity.groups.update(group.id, { member_ids: [user.id] });
    const extra = await r.core.identity.groups.create({ name: 'laptops' });
    const t = await generateToken(r, admin, { bound_user_id: user.id, auto_group_ids: [extra.id], channel: 'canary', max_uses: 1 });
    const key = wgPublicKey();
    const res = await enroll(r, t.secret, { public_key: key });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.match(body.device_token, /^rdt_/);
    assert.match(body.overlay_ip, /^100\.96\.\d+\.\d+$/);
    assert.equal(body.user_id, user.id);
    assert.equal(body.channel, 'canary');
    assert.equal(body.policy_digest, 'sha256:test-canary', "the policy part's hook adds its fields");

    const access = accessServices(r.core);
    assert.deepEqual(await access.hooks.deviceGroups(body.device_id), [group.id, extra.id].sort(), "the user's groups and the token's auto groups");
    const caller = await access.callers.device({ headers: { authorization: `Bearer ${body.device_token}` }, cookies: {} });
    assert.equal(caller.device.id, body.device_id);
    assert.equal(caller.device.public_key, key);
    await assert.rejects(access.callers.device({ headers: { authorization: 'Bearer rdt_nope' }, cookies: {} }), { status: 401 });
    await assert.rejects(access.callers.any({ headers: {}, cookies: {} }, { device: true, adminPermission: 'access_device:read' }), { status: 401 });
    const asAdmin = await access.callers.any({ headers: reader.headers, cookies: {} }, { device: true, adminPermission: 'access_device:read' });
    assert.equal(asAdmin.kind, 'admin');
    await assert.rejects(access.callers.any({ headers: nobody.headers, cookies: {} }, { adminPermission: 'access_device:read' }), { status: 403 });
    // A console session cookie: reads pass, a write without the CSRF token is refused as on every other route.
    const { token: cookie } = await r.core.identity.sessions.cookieToken(reader.sessionId);
    const fromBrowser = (method: string, extra: Record<string, string> = {}) => {
      const headers = { host: 'rampart.test', ...extra };
      const cookies = { rampart_session: cookie, rampart_csrf: 'csrf-value' };
      return { headers, cookies, origin: 'https://rampart.test', raw: { request: { method, headers, cookies, query: {} } as never } };
    };
    assert.equal((await access.callers.any(fromBrowser('GET'), { adminPermission: 'access_device:read' })).kind, 'admin');
    await assert.rejects(access.callers.any(fromBrowser('POST'), { adminPermission: 'access_device:read' }), { status: 403 });
    assert.equal((await access.callers.any(fromBrowser('POST', { 'x-csrf-token': 'csrf-value' }), { adminPermission: 'access_device:read' })).kind, 'admin');

    const used = await enroll(r, t.secret);
    assert.equal(used.statusCode, 403);
    assert.equal(used.json().error, 'forbidden');
    assert.match(used.json().detail, /used up/);
    assert.equal((await call('GET', `/v1/admin/tokens/${t.id}`, reader)).json().status, 'exhausted');

    const bad = await enroll(r, 'ret_not-a-token');
    assert.equal(bad.statusCode, 401);
    assert.equal(bad.json().error, 'unauthorized');

    const revokedToken = await generateToken(r, admin);
    await call('POST', `/v1/admin/tokens/${revokedToken.id}/revoke`, admin);
    assert.match((await enroll(r, revokedToken.secret)).json().detail, /revoked/);

    // A gateway token names a pool of the caller's tenant.
    const foreignPool = await r.app.inject({ method: 'POST', url: '/v1/admin/tokens/generate', headers: admin.headers, payload: { kind: 'gateway', pool_id: UNKNOWN } });
    assert.equal(foreignPool.statusCode, 422);
    const pool = (await r.app.inject({ method: 'POST', url: '/v1/admin/settings/gateway-pools', headers: admin.headers, payload: { name: 'enroll-pool', region: 'r1' } })).json();
    const gatewayToken = await generateToken(r, admin, { kind: 'gateway', pool_id: pool.id });
    const wrongKind = await enroll(r, gatewayToken.secret);
    assert.equal(wrongKind.statusCode, 403);
    assert.match(wrongKind.json().detail, /gateway\/enroll/);
    const redeemed = await access.hooks.redeemGatewayToken(gatewayToken.secret);
    assert.equal(redeemed.pool_id, pool.id);
    await assert.rejects(access.hooks.redeemGatewayToken(gatewayToken.secret), { status: 403 });

    const many = await generateToken(r, admin, { max_uses: 0 });
    const dupKey = await enroll(r, many.secret, { public_key: key });
    assert.equal(dupKey.statusCode, 409);
    assert.equal(dupKey.json().error, 'conflict');
    for (const payload of [{ public_key: 'not-a-key' }, { device: { name: 'x', platform: 'amiga' } }, { device: {} }]) {
      const res422 = await enroll(r, many.secret, payload);
      assert.equal(res422.statusCode, 422, JSON.stringify(payload));
      assert.equal(res422.json().error, 'validation_error');
    }
    assert.equal((await call('GET', `/v1/admin/tokens/${many.id}`, reader)).json().use_count, 0, 'refused enrollments spend no use');
  });

  test('an expired token is 403, and a device limit answers 409 entitlement_exceeded without spending the token', async () => {
    const t = await generateToken(r, admin, { expires_in_s: 60 });
    clock.advance(2 * MINUTE_MS);
    try {
      const expired = await enroll(r, t.secret);
      assert.equal(expired.statusCode, 403);
      assert.match(expired.json().detail, /expired/);
      assert.ok((await call('GET', '/v1/admin/tokens?status=expired', reader)).json().items.some((x: { id: string }) => x.id === t.id));
    } finally {
      clock.advance(-2 * MINUTE_MS);
    }
    const limited = await createTestRampart({ overrides: { 'access.max_devices': 1 } });
    try {
      const owner = await signIn(limited, { roles: ['admin'] });
      const token = await generateToken(limited, owner, { max_uses: 0 });
      assert.equal((await enroll(limited, token.secret)).statusCode, 201);
      const over = await enroll(limited, token.secret);
      assert.equal(over.statusCode, 409);
      assert.equal(over.json().error, 'entitlement_exceeded');
      assert.equal((await limited.app.inject({ method: 'GET', url: `/v1/admin/tokens/${token.id}`, headers: owner.headers })).json().use_count, 1);
    } finally {
      await limited.cleanup();
    }
  });

  test('a single-use token enrolls exactly one of many concurrent devices', async () => {
    const t = await generateToken(r, admin, { max_uses: 1 });
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => enroll(r, t.secret, { device: deviceInfo(`racer-${i}`) })));
    const codes = results.map((x) => x.statusCode).sort();
    assert.deepEqual(codes, [201, ...Array(11).fill(403)], codes.join(','));
    assert.equal((await call('GET', `/v1/admin/tokens/${t.id}`, reader)).json().use_count, 1);
    const devices = await r.core.db.kysely.selectFrom('access_devices').select('id').where('enrollment_token_id', '=', t.id).execute();
    assert.equal(devices.length, 1);
  });

  test('device lifecycle: suspend, reactivate, set_channel, revoke; revoked is terminal (409); changes are published', async () => {
    const t = await generateToken(r, admin);
    const d = (await enroll(r, t.secret)).json();
    const life = (action: string, extra: object = {}, who = admin) => call('POST', '/v1/admin/devices/lifecycle', who, { action, device_id: d.device_id, ...extra });
    const access = accessServices(r.core);
    const header = { headers: { authorization: `Bearer ${d.device_token}` }, cookies: {} };

    changes.length = 0;
    const suspended = await life('suspend', { reason: 'lost' });
    assert.equal(suspended.statusCode, 200, suspended.body);
    assert.equal(suspended.json().device.status, 'suspended');
    assert.equal(suspended.json().device.status_reason, 'lost');
    assert.deepEqual(revokedSpcs.at(-1)?.ids, [d.device_id]);
    assert.deepEqual(closed.at(-1)?.ids, [d.device_id]);
    await waitFor('a device access change', () => changes.some((c) => c.reason === 'device' && c.device_ids?.includes(d.device_id)));
    await assert.rejects(access.callers.device(header), { status: 403 });
    assert.equal((await access.callers.device(header, { allowSuspended: true })).device.status, 'suspended');
    assert.equal((await life('suspend')).statusCode, 409);

    assert.equal((await life('reactivate')).json().device.status, 'active');
    assert.equal((await life('set_channel', { channel: 'canary' })).json().device.channel, 'canary');
    assert.equal((await life('set_channel')).statusCode, 422);
    assert.equal((await life('suspend', {}, reader)).statusCode, 403);
    assert.equal((await call('POST', '/v1/admin/devices/lifecycle', admin, { action: 'revoke', device_id: UNKNOWN })).statusCode, 404);

    const revoked = await life('revoke', { reason: 'stolen' });
    assert.equal(revoked.json().device.status, 'revoked');
    assert.ok(revoked.json().device.revoked_at);
    await assert.rejects(access.callers.device(header), { status: 401 });
    for (const action of ['reactivate', 'suspend', 'revoke', 'approve']) {
      const res = await life(action);
      assert.equal(res.statusCode, 409, action);
      assert.equal(res.json().error, 'conflict');
    }
    assert.equal((await life('set_channel', { channel: 'stable' })).statusCode, 409);
    const got = await call('GET', `/v1/admin/devices/${d.device_id}`, reader);
    assert.equal(got.json().status, 'revoked');
    assert.equal(got.json().channel, 'canary', 'refused actions changed nothing');
    assert.ok(!got.body.includes(d.device_token) && got.json().token_hash === undefined);
    const audits = (await auditOf('access.device.lifecycle')).filter((a) => a.resource_id === d.device_id);
    assert.ok(audits.filter((a) => a.result === 'success').length >= 4);
    assert.ok(audits.some((a) => a.result === 'failure'));
    assert.ok((await auditOf('access.device.lifecycle')).some((a) => a.result === 'denied' && a.actor_id === reader.user.id), 'a refused caller is recorded too');

    // The revoked device's key and address are not reused by accident: the key may enroll again, the address not.
    const again = await enroll(r, (await generateToken(r, admin)).secret, { public_key: revoked.json().device.public_key });
    assert.equal(again.statusCode, 201);
    assert.notEqual(again.json().overlay_ip, d.overlay_ip);
  });

  test('batch: each device gets its own result; list filters and pages', async () => {
    const t = await generateToken(r, admin, { max_uses: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await enroll(r, t.secret, { device: { ...deviceInfo(`batch-${i}`), serial_number: `SN-B${i}` } })).json().device_id);
    await call('POST', '/v1/admin/devices/lifecycle', admin, { action: 'revoke', device_id: ids[2] });
    const batch = await call('POST', '/v1/admin/devices/batch', admin, { action: 'suspend', device_ids: [ids[0], ids[1], ids[2], UNKNOWN], reason: 'audit' });
    assert.equal(batch.statusCode, 200, batch.body);
    const byId = new Map(batch.json().results.map((x: { device_id: string }) => [x.device_id, x]));
    assert.deepEqual(byId.get(ids[0]), { device_id: ids[0], ok: true, status: 'suspended' });
    assert.equal((byId.get(ids[1]) as { ok: boolean }).ok, true);
    assert.equal((byId.get(ids[2]) as { error: { error: string } }).error.error, 'conflict');
    assert.equal((byId.get(UNKNOWN) as { error: { error: string } }).error.error, 'not_found');
    assert.equal((await call('POST', '/v1/admin/devices/batch', admin, { action: 'suspend', device_ids: [] })).statusCode, 422);
    const tooMany = Array.from({ length: 501 }, () => UNKNOWN);
    assert.equal((await call('POST', '/v1/admin/devices/batch', admin, { action: 'revoke', device_ids: tooMany })).statusCode, 422);
    const audit = (await auditOf('access.device.batch')).at(-1)!;
    const details = typeof audit.details === 'string' ? JSON.parse(audit.details) : audit.details;
    assert.deepEqual(details.ok, [ids[0], ids[1]]);

    const suspended = (await call('GET', '/v1/admin/devices?status=suspended&q=SN-B', reader)).json();
    assert.deepEqual(suspended.items.map((x: { id: string }) => x.id).sort(), [ids[0], ids[1]].sort());
    const first = (await call('GET', '/v1/admin/devices?q=batch-&limit=2', reader)).json();
    assert.equal(first.items.length, 2);
    assert.ok(first.next_cursor);
    const second = (await call('GET', `/v1/admin/devices?q=batch-&limit=2&cursor=${first.next_cursor}`, reader)).json();
    assert.deepEqual([...first.items, ...second.items].map((x: { id: string }) => x.id).sort(), [...ids].sort());
    assert.equal(second.next_cursor, null);
    const unknownPosture = (await call('GET', '/v1/admin/devices?posture=unknown&q=batch-', reader)).json();
    assert.equal(unknownPosture.items.length, 3, 'without the policy part every posture is unknown');
    assert.equal((await call('GET', '/v1/admin/devices?posture=compliant&q=batch-', reader)).json().items.length, 0);
    assert.equal((await call('GET', '/v1/admin/devices?cursor=garbage', reader)).statusCode, 422);
    assert.equal((await call('GET', '/v1/admin/devices', nobody)).statusCode, 403);
    assert.equal((await call('GET', '/v1/admin/devices', null)).statusCode, 401);
  });

  test("suspending a user revokes their devices' SPCs and sessions and publishes a user change", async () => {
    const user = await r.core.identity.users.create({ username: 'to-suspend', email: 'suspend@example.test' });
    const t = await generateToken(r, admin, { bound_email: 'suspend@example.test' });
    const d = (await enroll(r, t.secret)).json();
    assert.equal(d.user_id, user.id, 'bound_email links the user');
    changes.length = 0;
    const res = await call('POST', '/v1/admin/users/suspend', admin, { user_id: user.id });
    assert.equal(res.statusCode, 200, res.body);
    await waitFor('a user access change', () => changes.find((c) => c.reason === 'user' && c.user_id === user.id));
    assert.ok(changes.find((c) => c.reason === 'user')!.device_ids?.includes(d.device_id));
    await waitFor('SPC revocation', () => revokedSpcs.some((x) => x.ids.includes(d.device_id) && /user suspended/.test(x.reason)));
    // Sessions close after the SPCs are revoked, in the same asynchronous follow-up: waited for too.
    await waitFor('sessions closed', () => closed.some((x) => x.ids.includes(d.device_id)));
    const suspendedUserToken = await generateToken(r, admin, { bound_user_id: user.id });
    const refused = await enroll(r, suspendedUserToken.secret);
    assert.equal(refused.statusCode, 403, "a suspended user's token enrolls nothing");
  });

  test("deleting a user revokes their devices (nobody is left to answer for them)", async () => {
    const user = await r.core.identity.users.create({ username: 'to-delete' });
    const d = (await enroll(r, (await generateToken(r, admin, { bound_user_id: user.id })).secret)).json();
    const deleted = await call('POST', '/v1/admin/users/lifecycle', admin, { action: 'delete', user_id: user.id });
    assert.equal(deleted.statusCode, 200, deleted.body);
    const device = await waitFor('the device revoked', async () => {
      const got = (await call('GET', `/v1/admin/devices/${d.device_id}`, reader)).json();
      return got.status === 'revoked' && got;
    });
    assert.equal(device.user_id, null);
    assert.equal(device.status_reason, 'user deleted');
    assert.ok(revokedSpcs.some((x) => x.ids.includes(d.device_id)));
  });
});

describe('access enrollment: 429 on enroll', () => {
  let r: TestRampart;
  before(async () => {
    r = await createTestRampart({ overrides: { 'access.enroll_rate_limit_per_minute': 3 } });
  });
  after(() => r.cleanup());

  test('a client past the per-minute limit gets 429 rate_limited with Retry-After', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await enroll(r, 'ret_unknown')).statusCode);
    assert.deepEqual(codes, [401, 401, 401, 429]);
    const limited = await enroll(r, 'ret_unknown');
    assert.equal(limited.json().error, 'rate_limited');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
  });
});

describe('access enrollment across nodes', () => {
  test('a device revoked through one node is refused by another as soon as the change reaches it', { skip: !onPostgres && 'needs PostgreSQL (set RAMPART_TEST_DATABASE_URL)' }, async () => {
    const a = await createTestRampart();
    const b = await createTestRampart({ tdb: a.tdb });
    try {
      const owner = await signIn(a, { roles: ['admin'] });
      const d = (await enroll(a, (await generateToken(a, owner)).secret)).json();
      const onB = accessServices(b.core).callers;
      const header = { headers: { authorization: `Bearer ${d.device_token}` }, cookies: {} };
      assert.equal((await onB.device(header)).device.id, d.device_id, 'node b knows (and caches) the device');
      const arrived = new Promise<void>((resolve) => b.core.events.subscribe(ACCESS_CHANGED, (e) => {
        if ((e.payload as AccessChange).device_ids?.includes(d.device_id)) resolve();
      }));
      const revoked = await a.app.inject({ method: 'POST', url: '/v1/admin/devices/lifecycle', headers: owner.headers, payload: { action: 'revoke', device_id: d.device_id } });
      assert.equal(revoked.statusCode, 200);
      await arrived;
      await assert.rejects(onB.device(header), { status: 401 });
    } finally {
      await b.cleanup();
      await a.cleanup();
    }
  });
});

describe('access enrollment: approval', () => {
  let r: TestRampart;
  before(async () => {
    r = await createTestRampart();
  });
  after(() => r.cleanup());

  test('a token requiring approval enrolls pending devices that may do nothing until an admin approves them', async () => {
    const admin = await signIn(r, { roles: ['admin'] });
    const t = await generateToken(r, admin, { approval_required: true });
    assert.equal(t.approval_required, true);
    const d = (await enroll(r, t.secret)).json();
    assert.equal(d.status, 'pending');
    const callers = accessServices(r.core).callers;
    const header = { headers: { authorization: `Bearer ${d.device_token}` }, cookies: {} };
    await assert.rejects(callers.device(header), { status: 403 });
    const approve = () => r.app.inject({ method: 'POST', url: '/v1/admin/devices/lifecycle', headers: admin.headers, payload: { action: 'approve', device_id: d.device_id } });
    const approved = await approve();
    assert.equal(approved.json().device.status, 'active', approved.body);
    assert.equal((await callers.device(header)).device.status, 'active');
    assert.equal((await approve()).statusCode, 409, 'only a pending device is approved');
  });
});

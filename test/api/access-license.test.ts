/**
 * The access licence and entitlements: a signed licence file on disk, reload (a tampered file refused, the licence
 * in force kept), status with grace after expiry and out of it, limits from the licence with per-tenant overrides,
 * alerts at 80% and at the limit, usage from metering; past a limit the next device is refused with 409
 * entitlement_exceeded while a live session stays up and its device stays admitted.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_TENANT_ID } from '../../src/modules/access/access.types.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { enroll, generateToken, wgPublicKey } from '../helpers/access-enroll.js';
import { licensePayload, licenseSigner } from '../helpers/access-license.js';
import { movableClock } from '../helpers/fleet-rows.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('access licence and entitlements', () => {
  let r: TestRampart;
  let admin: SignedIn;
  const clock = movableClock();
  const signer = licenseSigner();
  const t0 = clock.now();
  let file: string;

  const call = (method: 'GET' | 'POST', url: string, payload?: object, who: SignedIn = admin) =>
    r.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });
  const status = async () => (await call('GET', '/v1/admin/license/status')).json();
  const ent = async (what = 'entitlement/status') => (await call('GET', `/v1/admin/tenants/${DEFAULT_TENANT_ID}/${what}`)).json();

  before(async () => {
    r = await createTestRampart({ now: clock.now, overrides: { 'access.license_file': 'license.json', 'access.license_public_key': signer.publicKey } });
    file = join(r.config.data_dir, 'license.json');
    admin = await signIn(r, { roles: ['admin'] });
  });
  after(() => r.cleanup());

  test('no file: missing, nothing limited; a signed file reloads into force; a tampered one is 422 and changes nothing', async () => {
    const none = await status();
    assert.equal(none.state, 'missing');
    assert.equal((await ent('entitlement')).source, 'default');
    assert.equal((await ent('entitlement')).limits.devices, null);

    signer.write(file, licensePayload(t0));
    const reloaded = await call('POST', '/v1/admin/license/reload');
    assert.equal(reloaded.statusCode, 200, reloaded.body);
    assert.equal(reloaded.json().state, 'valid');
    assert.equal(reloaded.json().licensee, 'Example Corp');
    const e = await ent('entitlement');
    assert.deepEqual([e.source, e.plan, e.limits.devices, e.features], ['license', 'business', 5, ['sso', 'canary']]);

    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.license.limits.devices = 5000;
    writeFileSync(file, JSON.stringify(doc));
    const tampered = await call('POST', '/v1/admin/license/reload');
    assert.equal(tampered.statusCode, 422);
    assert.equal(tampered.json().error, 'validation_error');
    assert.match(tampered.json().detail, /signature/);
    assert.equal((await ent('entitlement')).limits.devices, 5, 'the licence in force stays');
    const other = licenseSigner();
    other.write(file, licensePayload(t0, { limits: { devices: 5000 } }));
    assert.equal((await call('POST', '/v1/admin/license/reload')).statusCode, 422, 'signed by a key that is not the configured one');
    signer.write(file, licensePayload(t0));
    assert.equal((await call('POST', '/v1/admin/license/reload')).statusCode, 200);

    const viewer = await signIn(r, { permissions: ['access_license:read', 'access_tenant:read'] });
    assert.equal((await call('POST', '/v1/admin/license/reload', undefined, viewer)).statusCode, 403);
    const audited = await r.core.db.kysely.selectFrom('audit_events').select('result').where('action', '=', 'access.license.reload').execute();
    assert.ok(audited.some((a) => a.result === 'success'));
  });

  test('limits: approaching at 80%, exceeded at the limit; the next device is refused while a live session stays up', async () => {
    const user = await signIn(r, { roles: [] });
    const token = await generateToken(r, admin, { max_uses: 0, bound_user_id: user.user.id });
    const devices: { device_id: string; device_token: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await enroll(r, token.secret);
      assert.equal(res.statusCode, 201, res.body);
      devices.push(res.json());
    }
    let s = await ent();
    assert.equal(s.state, 'warning');
    assert.deepEqual(s.metrics.find((m: { metric: string }) => m.metric === 'devices'), { metric: 'devices', value: 4, limit: 5, percent: 80, state: 'approaching' });
    const approaching = (await ent('alerts')).items;
    assert.deepEqual(approaching.map((a: { metric: string; kind: string }) => [a.metric, a.kind]), [['devices', 'approaching']]);
    const since = approaching[0].since;

    // A pool, a gateway and a published bundle: the first device gets a session and an admission grant.
    const pool = (await call('POST', '/v1/admin/settings/gateway-pools', { name: 'hq', region: 'eu', destinations: ['10.246.0.0/16'] })).json();
    const gwToken = await generateToken(r, admin, { kind: 'gateway', pool_id: pool.id });
    const gw = (await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { token: gwToken.secret, public_key: wgPublicKey(), endpoint: '10.246.0.1:51820', name: 'gw1' } })).json();
    const published = await call('POST', '/v1/admin/policy/publish', { channel: 'stable', rules: [{ name: 'all', sources: { user_ids: [user.user.id] }, destinations: [{ cidr: '10.246.1.0/24', protocol: 'tcp', ports: ['443'] }] }] });
    assert.equal(published.statusCode, 200, published.body);
    const first = devices[0];
    const key = (await call('GET', `/v1/admin/devices/${first.device_id}`)).json().public_key;
    const grant = () => r.app.inject({ method: 'GET', url: `/v1/gateway/runtime/client-admission-grant?device_id=${first.device_id}&public_key=${encodeURIComponent(key)}`, headers: { authorization: `Bearer ${gw.gateway_token}` } });
    assert.equal((await grant()).json().allow, true, (await grant()).body);
    const sid = randomUUID();
    const now = clock.now().getTime();
    const metered = await r.app.inject({
      method: 'POST', url: '/v1/gateway/metering', headers: { authorization: `Bearer ${gw.gateway_token}` },
      payload: { window_start: new Date(now - 60_000).toISOString(), window_end: new Date(now).toISOString(), active_sessions: 1, sessions: [{ session_id: sid, device_id: first.device_id, bytes_rx: 4096, bytes_tx: 1024, started_at: new Date(now - 60_000).toISOString() }] },
    });
    assert.equal(metered.statusCode, 200, metered.body);

    const fifth = await enroll(r, token.secret);
    assert.equal(fifth.statusCode, 201, fifth.body);
    s = await ent();
    assert.equal(s.state, 'exceeded');
    const alerts = (await ent('alerts')).items;
    assert.deepEqual(alerts.map((a: { metric: string; kind: string }) => [a.metric, a.kind]), [['devices', 'exceeded']]);

    const usesBefore = (await call('GET', `/v1/admin/tokens/${token.id}`)).json().use_count;
    const sixth = await enroll(r, token.secret);
    assert.equal(sixth.statusCode, 409);
    assert.equal(sixth.json().error, 'entitlement_exceeded');
    assert.match(sixth.json().detail, /device limit \(5\)/);
    assert.equal((await call('GET', `/v1/admin/tokens/${token.id}`)).json().use_count, usesBefore, 'a refused enrollment spends no use');
    assert.equal((await call('GET', `/v1/admin/devices?limit=50`)).json().items.length, 5, 'no sixth device');

    const session = (await call('GET', `/v1/admin/sessions?device_id=${first.device_id}`)).json().items[0];
    assert.equal(session.state, 'active', 'the live session is not cut');
    assert.equal((await grant()).json().allow, true, 'the device at the limit is still admitted');
    const pools = await call('POST', '/v1/admin/settings/gateway-pools', { name: 'second', region: 'eu' });
    assert.equal(pools.statusCode, 201, 'pools have no limit in this licence');

    // A per-tenant override raises the limit: the sixth device enrolls, and the alert closes.
    const over = await call('POST', '/v1/admin/tenants/lifecycle', { action: 'set_overrides', tenant_id: DEFAULT_TENANT_ID, overrides: { limits: { devices: 10, gateways: 1 } } });
    assert.equal(over.statusCode, 200, over.body);
    assert.equal((await ent('entitlement')).source, 'override');
    assert.equal((await enroll(r, token.secret)).statusCode, 201);
    assert.deepEqual((await ent('alerts')).items.map((a: { metric: string }) => a.metric), ['gateways'], 'devices 6/10 is fine; gateways 1/1 is at its limit');
    assert.notEqual(since, undefined);
    const gw2 = await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { token: (await generateToken(r, admin, { kind: 'gateway', pool_id: pool.id })).secret, public_key: wgPublicKey(), endpoint: '10.246.0.2:51820', name: 'gw2' } });
    assert.equal(gw2.statusCode, 409);
    assert.equal(gw2.json().error, 'entitlement_exceeded');

    const usage = (await ent(`usage?period=${clock.now().toISOString().slice(0, 7)}`));
    assert.equal(usage.sessions, 1);
    assert.equal(usage.bytes_rx, 4096);
    assert.equal(usage.active_devices, 1);
    assert.equal(usage.devices, 6);
    assert.equal(usage.devices_enrolled, 6);
    const empty = await ent('usage?period=2001-01');
    assert.equal(empty.sessions, 0);
    const badPeriod = await call('GET', `/v1/admin/tenants/${DEFAULT_TENANT_ID}/usage?period=2024-13`);
    assert.equal(badPeriod.statusCode, 422);
    assert.equal(badPeriod.json().error, 'validation_error');
  });

  test('expiry: grace keeps everything working and raises an alert; past grace new devices are refused and live ones stay', async () => {
    const token = await generateToken(r, admin, { max_uses: 0, expires_in_s: 7 * 86_400 });
    const cleared = await call('POST', '/v1/admin/tenants/lifecycle', { action: 'set_overrides', tenant_id: DEFAULT_TENANT_ID, overrides: { limits: { devices: 10 } } });
    assert.deepEqual(cleared.json().tenant.overrides.limits, { devices: 10 });
    assert.equal((await ent('entitlement')).limits.gateways, null, 'without its override the licence speaks again');
    clock.advance(2 * 3_600_000); // expired 1 h ago; grace for a day
    admin = await signIn(r, { roles: ['admin'] }); // the earlier access token has expired with the clock
    const graced = await status();
    assert.equal(graced.state, 'grace');
    assert.equal((await ent()).state, 'grace');
    assert.ok((await ent('alerts')).items.some((a: { metric: string; kind: string }) => a.metric === 'license' && a.kind === 'approaching'));
    assert.equal((await enroll(r, token.secret)).statusCode, 201, 'grace keeps creations working');

    clock.advance(24 * 3_600_000);
    admin = await signIn(r, { roles: ['admin'] });
    assert.equal((await status()).state, 'expired');
    assert.equal((await ent()).state, 'expired');
    const refused = await enroll(r, token.secret);
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error, 'entitlement_exceeded');
    assert.match(refused.json().detail, /licence is expired/);
    const sessions = (await call('GET', '/v1/admin/sessions?state=active')).json().items;
    assert.equal(sessions.length, 1, 'the live session is still up');
    const devices = (await call('GET', '/v1/admin/devices?status=active')).json().items;
    assert.equal(devices.length, 7, 'no device was cut');

    // A renewed licence ends it.
    signer.write(file, licensePayload(clock.now(), { id: 'lic-test-2' }));
    assert.equal((await call('POST', '/v1/admin/license/reload')).json().state, 'valid');
    assert.equal((await enroll(r, token.secret)).statusCode, 201);
  });
});

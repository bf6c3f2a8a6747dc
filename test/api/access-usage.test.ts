/**
 * Metered usage per month: a session that spans two months has its bytes split where its traffic was (each metering
 * window's bytes in the month the window ended), never counted whole in both months it overlaps.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_TENANT_ID } from '../../src/modules/access/access.types.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { enroll, generateToken, wgPublicKey } from '../helpers/access-enroll.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('access usage: a session spanning months', () => {
  let r: TestRampart;
  let admin: SignedIn;
  const call = (method: 'GET' | 'POST', url: string, payload?: object) => r.app.inject({ method, url, headers: admin.headers, ...(payload ? { payload } : {}) });

  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
  });
  after(() => r.cleanup());

  test("each month counts the bytes metered in it; the months add up to the session's total", async () => {
    const pool = (await call('POST', '/v1/admin/settings/gateway-pools', { name: 'usage', region: 'eu', destinations: ['10.245.0.0/16'] })).json();
    const gwToken = await generateToken(r, admin, { kind: 'gateway', pool_id: pool.id });
    const gw = (await r.app.inject({ method: 'POST', url: '/v1/gateway/enroll', payload: { token: gwToken.secret, public_key: wgPublicKey(), endpoint: '10.245.0.1:51820', name: 'gw-usage' } })).json();
    const device = (await enroll(r, (await generateToken(r, admin, { bound_user_id: admin.user.id })).secret)).json();
    const session_id = randomUUID();
    const started_at = '2026-01-31T23:58:00.000Z';
    // Three windows: two end in January, one in February, where the session ends.
    const windows = [
      { window_start: '2026-01-31T23:58:00.000Z', window_end: '2026-01-31T23:59:00.000Z', bytes_rx: 1000, bytes_tx: 100 },
      { window_start: '2026-01-31T23:59:00.000Z', window_end: '2026-01-31T23:59:59.000Z', bytes_rx: 300, bytes_tx: 30 },
      { window_start: '2026-01-31T23:59:59.000Z', window_end: '2026-02-01T00:01:00.000Z', bytes_rx: 500, bytes_tx: 50, ended_at: '2026-02-01T00:00:30.000Z' },
    ];
    for (const { window_start, window_end, bytes_rx, bytes_tx, ended_at } of windows) {
      const res = await r.app.inject({
        method: 'POST', url: '/v1/gateway/metering', headers: { authorization: `Bearer ${gw.gateway_token}` },
        payload: { window_start, window_end, active_sessions: ended_at ? 0 : 1, sessions: [{ session_id, device_id: device.device_id, bytes_rx, bytes_tx, started_at, ...(ended_at ? { ended_at } : {}) }] },
      });
      assert.equal(res.statusCode, 200, res.body);
    }
    // A retried window is recorded once: its bytes count once too.
    const retry = await r.app.inject({
      method: 'POST', url: '/v1/gateway/metering', headers: { authorization: `Bearer ${gw.gateway_token}` },
      payload: { window_start: windows[0].window_start, window_end: windows[0].window_end, active_sessions: 1, sessions: [{ session_id, device_id: device.device_id, bytes_rx: 1000, bytes_tx: 100, started_at }] },
    });
    assert.equal(retry.json().recorded, false, retry.body);

    const session = (await call('GET', `/v1/admin/sessions?device_id=${device.device_id}`)).json().items[0];
    assert.deepEqual([session.bytes_rx, session.bytes_tx, session.state], [1800, 180, 'closed']);
    const usage = async (period: string) => (await call('GET', `/v1/admin/tenants/${DEFAULT_TENANT_ID}/usage?period=${period}`)).json();
    const [jan, feb, mar] = [await usage('2026-01'), await usage('2026-02'), await usage('2026-03')];
    assert.deepEqual([jan.sessions, jan.bytes_rx, jan.bytes_tx], [1, 1300, 130], 'January: the two windows that ended in it');
    assert.deepEqual([feb.sessions, feb.bytes_rx, feb.bytes_tx], [1, 500, 50], 'February: the window that ended in it');
    assert.equal(jan.bytes_rx + feb.bytes_rx, session.bytes_rx, 'the months add up to the session');
    assert.deepEqual([mar.sessions, mar.bytes_rx], [0, 0], 'a month the session never reached');
  });
});

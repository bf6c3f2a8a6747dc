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
  test('recompute_usage makes the months add up to each session again; its dry run changes nothing', async () => {
    const k = r.core.db.kysely;
    const [session] = await k.selectFrom('access_sessions').select(['id', 'bytes_rx', 'bytes_tx']).where('tenant_id', '=', DEFAULT_TENANT_ID).execute();
    assert.ok(session, 'the first test metered a session');
    const usage = async (period: string) => (await call('GET', `/v1/admin/tenants/${DEFAULT_TENANT_ID}/usage?period=${period}`)).json();
    const run = async (dry_run: boolean) => {
      const res = await call('POST', '/v1/admin/workflows/run', { workflow: 'recompute_usage', dry_run });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().result;
    };
    // Rows lost (as for a session metered before usage was kept per month): January's row is gone.
    await k.deleteFrom('access_session_usage').where('session_id', '=', session.id).where('period', '=', '2026-01').execute();
    assert.equal((await usage('2026-01')).bytes_rx, 0);

    const dry = await run(true);
    assert.deepEqual([dry.sessions_adjusted, dry.bytes_rx_added, dry.bytes_tx_added], [1, 1300, 130], JSON.stringify(dry));
    assert.equal((await usage('2026-02')).bytes_rx, 500, 'the dry run changed nothing');

    const real = await run(false);
    assert.deepEqual([real.sessions_adjusted, real.bytes_rx_added], [1, 1300]);
    const feb = await usage('2026-02');
    assert.deepEqual([feb.bytes_rx, feb.bytes_tx], [1800, 180], 'the missing bytes count in the month the session was last seen');
    assert.equal((await run(false)).sessions_adjusted, 0, 'a second run finds nothing to do');

    // Rows that exceed the session's totals are rebuilt as its totals.
    await k.updateTable('access_session_usage').set({ bytes_rx: 9999 }).where('session_id', '=', session.id).execute();
    assert.equal((await run(false)).sessions_adjusted, 1);
    assert.deepEqual([(await usage('2026-02')).bytes_rx, (await usage('2026-01')).bytes_rx], [1800, 0]);
  });
});

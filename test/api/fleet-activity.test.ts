import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { insertHost } from '../helpers/fleet-rows.js';

describe('fleet activity feed: alerts and audit rows, filtered by the caller’s permissions', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let host: string;
  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    host = await insertHost(r);
    const alerts = fleetServices(r.core).alerts;
    const at = new Date(Date.now() - 60_000).toISOString();
    // Five alerts at one instant (ties the cursor must not lose), one of them on another host.
    for (let i = 0; i < 4; i++) await alerts.raise({ alert_type: 'feed_check', host_id: host, rule_id: `r${i}`, title: `check ${i}`, occurred_at: at });
    await alerts.raise({ alert_type: 'host_unreachable', host_id: await insertHost(r), title: 'down', occurred_at: at });
  });
  after(() => r.cleanup());

  const feed = async (who: SignedIn, query = '') => {
    const res = await r.app.inject({ method: 'GET', url: `/api/v1/activity${query}`, headers: who.headers });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };
  const countAudit = async () => Number((await r.core.db.kysely.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  test('a caller holding every permission sees both sources and nothing hidden', async () => {
    const page = await feed(admin, '?limit=200');
    assert.equal(page.hidden_count, 0);
    const sources = new Set(page.items.map((i: any) => i.source));
    assert.ok(sources.has('alert') && sources.has('audit'), [...sources].join());
    const times = page.items.map((i: any) => Date.parse(i.occurred_at));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
  });

  test('rows the caller may not read are counted in hidden_count, not shown', async () => {
    const alertsOnly = await signIn(r, { permissions: ['alert:read'] });
    const page = await feed(alertsOnly, '?limit=200');
    assert.ok(page.items.every((i: any) => i.source === 'alert'));
    assert.equal(page.items.length, 5);
    assert.equal(page.hidden_count, await countAudit());

    const nobody = await signIn(r, { roles: [] });
    const empty = await feed(nobody);
    assert.equal(empty.items.length, 0);
    assert.equal(empty.hidden_count, 5 + (await countAudit()));
    assert.equal(empty.next_cursor, null);
  });

  test('filters by source, severity and host; pages by an opaque cursor without losing tied rows', async () => {
    const onHost = await feed(admin, `?host_id=${host}&source=alert`);
    assert.equal(onHost.items.length, 4);
    const high = await feed(admin, '?severity=high&source=alert');
    assert.deepEqual(high.items.map((i: any) => i.title), ['down']);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await feed(admin, `?source=alert&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((i: any) => i.id));
      cursor = page.next_cursor;
    } while (cursor);
    assert.equal(new Set(seen).size, 5);
    assert.equal(seen.length, 5);
  });

  test('liveness transitions show to host readers as monitoring rows; probes that changed nothing do not', async () => {
    const at = new Date(Date.now() - 30_000).toISOString();
    const row = (state: string, previous: string) => ({
      id: randomUUID(), host_id: host, checked_at: at, monitoring_state: state as any, previous_state: previous as any,
      reachability_status: 'unreachable' as any, icmp_ok: null, ssh_ok: 0, privilege_ok: null, response_ms: null, error: 'connection refused',
    });
    await r.core.db.kysely.insertInto('fleet_monitoring_history').values([row('down', 'critical'), row('down', 'down')]).execute();
    const hostReader = await signIn(r, { permissions: ['host:read'] });
    const page = await feed(hostReader, '?source=monitoring');
    assert.equal(page.items.length, 1);
    assert.equal(page.items[0].severity, 'high');
    assert.equal(page.items[0].host_id, host);
    assert.equal(page.hidden_count, 0);
    assert.equal((await feed(hostReader, '?source=alert')).hidden_count, 5, 'alerts need alert:read');
  });

  test('intelligence events show to host readers with their severity and detail', async () => {
    const at = new Date(Date.now() - 20_000).toISOString();
    await r.core.db.kysely.insertInto('fleet_intelligence_events').values({
      id: randomUUID(), host_id: host, event_code: 'account.user.created', severity: 'medium',
      detail: r.core.db.dialect.toJson({ user: 'mallory', uid: 1001 }), occurred_at: at, detected_at: at, correlation_id: null,
    }).execute();
    const hostReader = await signIn(r, { permissions: ['host:read'] });
    const page = await feed(hostReader, '?source=intelligence');
    assert.equal(page.items.length, 1);
    assert.equal(page.items[0].title, 'account.user.created');
    assert.equal(page.items[0].severity, 'medium');
    assert.equal(page.items[0].summary, 'uid=1001 user=mallory');
    assert.equal((await feed(hostReader, '?source=intelligence&severity=high')).items.length, 0);
  });

  test('bad queries are 400', async () => {
    for (const q of ['source=email', 'severity=bad', 'limit=0', 'limit=500', 'cursor=zzz', 'since=monday', 'host_id=1']) {
      const res = await r.app.inject({ method: 'GET', url: `/api/v1/activity?${q}`, headers: admin.headers });
      assert.equal(res.statusCode, 400, q);
    }
    assert.equal((await r.app.inject({ method: 'GET', url: '/api/v1/activity' })).statusCode, 401);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { insertHost, movableClock } from '../helpers/fleet-rows.js';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000001';

describe('fleet alerts: dedup, state machine, sweeper, auto-resolution, permissions', () => {
  let r: TestRampart;
  let admin: SignedIn;
  const clock = movableClock();
  const alerts = () => fleetServices(r.core).alerts;
  before(async () => {
    r = await createTestRampart({ now: clock.now });
    admin = await signIn(r, { roles: ['admin'] });
  });
  after(() => r.cleanup());

  const call = (method: 'GET' | 'POST', url: string, who: SignedIn = admin, payload?: object) =>
    r.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });
  const act = (id: string, action: string, payload?: object, who?: SignedIn) => call('POST', `/api/v1/alerts/${id}:${action}`, who, payload);
  const auditRows = (id: string) =>
    r.core.db.kysely.selectFrom('audit_events').selectAll().where('resource_type', '=', 'alert').where('resource_id', '=', id).orderBy('occurred_at').execute();
  const openRows = (hostId: string, type: string) =>
    r.core.db.kysely.selectFrom('fleet_alerts').select('id').where('host_id', '=', hostId).where('alert_type', '=', type).where('state', 'in', ['active', 'acknowledged', 'silenced']).execute();

  test('raising an open alert twice touches one row; after it is resolved a new one opens', async () => {
    const host = await insertHost(r);
    const first = await alerts().raiseHostUnreachable(host);
    const second = await alerts().raiseHostUnreachable(host);
    assert.equal(first.created, true);
    assert.equal(second.created, false);
    assert.equal(second.alert.id, first.alert.id);
    assert.equal((await openRows(host, 'host_unreachable')).length, 1);
    assert.equal(first.alert.severity, 'high');
    assert.deepEqual(first.alert.tags, { severity: 'high', alert_type: 'host_unreachable', host_id: host });

    assert.equal((await act(first.alert.id, 'resolve', { reason: 'fixed' })).statusCode, 200);
    const third = await alerts().raiseHostUnreachable(host);
    assert.equal(third.created, true);
    assert.notEqual(third.alert.id, first.alert.id);
    const listed = (await call('GET', `/api/v1/alerts?host_id=${host}`)).json();
    assert.deepEqual(listed.items.map((a: any) => a.state).sort(), ['active', 'resolved']);
  });

  test('every transition from the states that allow it, one audit row each; the others are 409', async () => {
    const host = await insertHost(r);
    const { alert } = await alerts().raise({ alert_type: 'custom_check', host_id: host, title: 'custom' });
    assert.equal(alert.severity, 'medium', 'unknown types are medium');

    const acked = await act(alert.id, 'acknowledge', { reason: 'looking' });
    assert.equal(acked.statusCode, 200, acked.body);
    assert.equal(acked.json().state, 'acknowledged');
    assert.equal(acked.json().acknowledged_by, admin.user.id);

    const again = await act(alert.id, 'acknowledge');
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'alerts.invalid_transition');

    const past = await act(alert.id, 'silence', { until: new Date(clock.now().getTime() - 60_000).toISOString() });
    assert.equal(past.statusCode, 400);
    assert.equal((await call('GET', `/api/v1/alerts/${alert.id}`)).json().state, 'acknowledged', 'a refused silence changes nothing');

    const until = new Date(clock.now().getTime() + 3_600_000).toISOString();
    const silenced = await act(alert.id, 'silence', { until });
    assert.equal(silenced.statusCode, 200, silenced.body);
    assert.equal(silenced.json().state, 'silenced');
    assert.equal(silenced.json().silenced_until, until);
    assert.equal((await act(alert.id, 'acknowledge')).statusCode, 409, 'acknowledge only from active');
    assert.equal((await act(alert.id, 'silence')).statusCode, 409, 'silence only from active or acknowledged');

    const resolved = await act(alert.id, 'resolve');
    assert.equal(resolved.json().state, 'resolved');
    assert.equal((await act(alert.id, 'resolve')).statusCode, 409);
    assert.equal((await act(alert.id, 'silence')).statusCode, 409);

    const dismissed = await act(alert.id, 'dismiss', { reason: 'noise' });
    assert.equal(dismissed.json().state, 'dismissed');
    assert.ok(dismissed.json().dismissed_at);
    for (const action of ['acknowledge', 'silence', 'resolve', 'dismiss']) {
      const res = await act(alert.id, action);
      assert.equal(res.statusCode, 409, `${action} on a dismissed alert`);
    }

    const rows = await auditRows(alert.id);
    assert.deepEqual(rows.map((row) => row.action), ['alert.created', 'alert.acknowledged', 'alert.silenced', 'alert.resolved', 'alert.dismissed']);

    // An active alert can be silenced without an end, resolved from active, and dismissed from active.
    const other = (await alerts().raise({ alert_type: 'custom_check', host_id: host, rule_id: 'r2', title: 'x' })).alert;
    const forever = await act(other.id, 'silence');
    assert.equal(forever.json().state, 'silenced');
    assert.equal(forever.json().silenced_until, null);
    const third = (await alerts().raise({ alert_type: 'custom_check', host_id: host, rule_id: 'r3', title: 'x' })).alert;
    assert.equal((await act(third.id, 'dismiss')).json().state, 'dismissed');
  });

  test('the sweeper returns an expired silence to active, as the system', async () => {
    const host = await insertHost(r);
    const { alert } = await alerts().raise({ alert_type: 'drift_minor', host_id: host, title: 'drift' });
    const until = new Date(clock.now().getTime() + 60_000).toISOString();
    assert.equal((await act(alert.id, 'silence', { until })).statusCode, 200);
    await alerts().sweepSilences();
    assert.equal((await alerts().get(alert.id)).state, 'silenced', 'not before its time');

    clock.advance(120_000);
    await alerts().sweepSilences();
    const back = await alerts().get(alert.id);
    assert.equal(back.state, 'active');
    assert.equal(back.silenced_until, null);
    const last = (await auditRows(alert.id)).at(-1)!;
    assert.equal(last.action, 'alert.unsilenced.auto');
    assert.equal(last.actor_type, 'system');
    assert.equal(last.actor_name, 'the system');
  });

  test('host_recovered resolves the open host_unreachable; drift_improvement resolves open drift alerts', async () => {
    const host = await insertHost(r);
    const down = (await alerts().raiseHostUnreachable(host)).alert;
    const recovered = await alerts().raiseHostRecovered(host);
    assert.equal(recovered.alert.severity, 'info');
    assert.equal((await alerts().get(down.id)).state, 'resolved');
    assert.equal((await alerts().get(down.id)).resolved_by, null, 'resolved by the system');

    const major = (await alerts().raiseDrift({ host_id: host, kind: 'major', previous: 90, current: 70, scan_id: 's1' })).alert;
    const minor = (await alerts().raiseDrift({ host_id: host, kind: 'minor', previous: 70, current: 64, scan_id: 's2' })).alert;
    assert.equal(major.severity, 'high');
    assert.equal(minor.severity, 'medium');
    const other = await insertHost(r);
    const elsewhere = (await alerts().raiseDrift({ host_id: other, kind: 'major', previous: 90, current: 50, scan_id: 's3' })).alert;

    await alerts().raiseDrift({ host_id: host, kind: 'improvement', previous: 64, current: 95, scan_id: 's4' });
    assert.equal((await alerts().get(major.id)).state, 'resolved');
    assert.equal((await alerts().get(minor.id)).state, 'resolved');
    assert.equal((await alerts().get(elsewhere.id)).state, 'active', 'another host is left alone');
  });

  test('liveness changes raise host_unreachable and host_recovered through the fleet hook', async () => {
    const host = await insertHost(r);
    const row = await r.core.db.kysely.selectFrom('fleet_hosts').selectAll().where('id', '=', host).executeTakeFirstOrThrow();
    const { hooks } = fleetServices(r.core);
    await hooks.onLivenessChange(row, 'online', 'degraded');
    assert.equal((await openRows(host, 'host_unreachable')).length, 0, 'degraded still answers');
    await hooks.onLivenessChange(row, 'degraded', 'critical');
    await hooks.onLivenessChange(row, 'critical', 'down');
    const open = await openRows(host, 'host_unreachable');
    assert.equal(open.length, 1, 'one alert for the whole outage');
    await hooks.onLivenessChange(row, 'down', 'online');
    assert.equal((await alerts().get(open[0].id)).state, 'resolved');
    assert.equal((await openRows(host, 'host_recovered')).length, 1);
    await hooks.onLivenessChange(row, 'online', 'maintenance');
    assert.equal((await openRows(host, 'host_unreachable')).length, 0, 'maintenance raises nothing');
  });

  test('the scans part’s drift hook raises drift alerts; an improvement resolves them', async () => {
    const host = await insertHost(r);
    const { hooks } = fleetServices(r.core);
    await hooks.onDrift({ host_id: host, kind: 'major', previous: 92, current: 75, scan_id: 'scan-a' });
    const [major] = await openRows(host, 'drift_major');
    assert.ok(major, 'a drift_major alert is open');
    const alert = await alerts().get(major.id);
    assert.equal(alert.tags.scan_id, 'scan-a');
    assert.match(alert.body, /92 to 75/);
    await hooks.onDrift({ host_id: host, kind: 'improvement', previous: 75, current: 93, scan_id: 'scan-b' });
    assert.equal((await alerts().get(major.id)).state, 'resolved');
  });

  test('permissions: viewer reads but cannot act; ops_lead acknowledges and resolves but cannot dismiss', async () => {
    const host = await insertHost(r);
    const viewer = await signIn(r, { roles: ['viewer'] });
    const opsLead = await signIn(r, { roles: ['ops_lead'] });
    const { alert } = await alerts().raise({ alert_type: 'host_unreachable', host_id: host, title: 't' });
    assert.equal((await call('GET', `/api/v1/alerts/${alert.id}`, viewer)).statusCode, 200);
    const denied = await act(alert.id, 'acknowledge', undefined, viewer);
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.json().error.code, 'authz.permission_denied');
    assert.deepEqual(denied.json().error.detail, { required_permission: 'alert:write' });
    assert.equal((await alerts().get(alert.id)).state, 'active');

    assert.equal((await act(alert.id, 'acknowledge', undefined, opsLead)).json().state, 'acknowledged');
    assert.equal((await act(alert.id, 'silence', undefined, opsLead)).statusCode, 403);
    assert.equal((await act(alert.id, 'dismiss', undefined, opsLead)).statusCode, 403);
    assert.equal((await act(alert.id, 'resolve', undefined, opsLead)).json().state, 'resolved');

    const noAlerts = await signIn(r, { permissions: ['host:read'] });
    assert.equal((await call('GET', '/api/v1/alerts', noAlerts)).statusCode, 403);
  });

  test('a new alert rings the bell of every user who may read alerts, once however often it is raised', async () => {
    const reader = await signIn(r, { permissions: ['alert:read'] });
    const hostOnly = await signIn(r, { permissions: ['host:read'] });
    const feed = async (who: SignedIn) => {
      const res = await call('GET', '/api/v1/notifications/feed', who);
      assert.equal(res.statusCode, 200, res.body);
      return res.json().items.filter((item: { kind: string }) => item.kind === 'alert.host_unreachable');
    };
    const before = { admin: (await feed(admin)).length, reader: (await feed(reader)).length };
    const host = await insertHost(r);
    const { alert } = await alerts().raiseHostUnreachable(host);
    await alerts().raiseHostUnreachable(host);
    const adminItems = await feed(admin);
    assert.equal(adminItems.length, before.admin + 1);
    assert.equal(adminItems[0].title, alert.title);
    assert.equal(adminItems[0].severity, 'high');
    assert.equal(adminItems[0].link, '/fleet/alerts');
    assert.equal((await feed(reader)).length, before.reader + 1);
    assert.equal((await feed(hostOnly)).length, 0, 'host:read alone does not hear of alerts');
  });

  test('404 for unknown alerts; 400 for bad input, changing nothing', async () => {
    assert.equal((await call('GET', `/api/v1/alerts/${UNKNOWN}`)).json().error.code, 'alerts.not_found');
    assert.equal((await act(UNKNOWN, 'acknowledge')).statusCode, 404);
    for (const query of ['limit=0', 'limit=201', 'limit=abc', 'state=open', 'severity=huge', 'since=yesterday', 'cursor=%%%', 'host_id=nope']) {
      const res = await call('GET', `/api/v1/alerts?${query}`);
      assert.equal(res.statusCode, 400, query);
      assert.equal(typeof res.json().error.code, 'string');
    }
    const host = await insertHost(r);
    const { alert } = await alerts().raise({ alert_type: 'x', host_id: host, title: 't' });
    assert.equal((await act(alert.id, 'acknowledge', { reason: 'x'.repeat(257) })).statusCode, 400);
    assert.equal((await act(alert.id, 'acknowledge', { until: new Date(Date.now() + 1e6).toISOString() })).statusCode, 400);
    assert.equal((await act(alert.id, 'acknowledge', { colour: 'red' })).statusCode, 400);
    assert.equal((await alerts().get(alert.id)).state, 'active');
  });

  test('the list pages by an opaque keyset cursor without losing rows that share a timestamp', async () => {
    const host = await insertHost(r);
    const at = new Date(clock.now().getTime() + 10_000_000).toISOString();
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await alerts().raise({ alert_type: 'tie', host_id: host, rule_id: `r${i}`, title: 't', occurred_at: at })).alert.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call('GET', `/api/v1/alerts?host_id=${host}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.ok(body.items.length <= 2);
      seen.push(...body.items.map((a: any) => a.id));
      cursor = body.next_cursor;
    } while (cursor);
    assert.equal(seen.length, 5);
    assert.deepEqual(new Set(seen), ids);
    const filtered = (await call('GET', `/api/v1/alerts?host_id=${host}&severity=critical`)).json();
    assert.equal(filtered.items.length, 0);
  });
});

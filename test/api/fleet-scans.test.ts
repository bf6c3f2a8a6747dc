import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

/** A managed host row, written straight to the table: these tests are about scans, not host registration. */
async function insertHost(r: TestRampart, opts: { deleted?: boolean; hostname?: string } = {}): Promise<string> {
  const id = randomUUID();
  const now = new Date().toISOString();
  const db = r.core.db;
  await db.kysely
    .insertInto('fleet_hosts')
    .values({
      id,
      hostname: opts.hostname ?? `host-${id.slice(0, 8)}`,
      ip_address: '10.213.2.10',
      port: 22,
      display_name: null,
      description: null,
      environment: 'production',
      tags: db.dialect.toJson([]),
      group_id: null,
      username: null,
      maintenance_mode: db.dialect.toBool(false),
      check_priority: 5,
      os_family: null,
      os_version: null,
      architecture: null,
      platform_identifier: null,
      os_discovered_at: null,
      target_framework: null,
      created_by: null,
      created_at: now,
      updated_at: now,
      deleted_at: opts.deleted ? now : null,
    })
    .execute();
  return id;
}

describe('fleet scans API', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let viewer: SignedIn;
  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    viewer = await signIn(r, { roles: ['viewer'] });
  });
  after(() => r.cleanup());

  const scan = (hostId: string, who: SignedIn, key: string | undefined, payload?: unknown) =>
    r.app.inject({
      method: 'POST',
      url: `/api/v1/hosts/${hostId}/scans`,
      headers: { ...who.headers, ...(key ? { 'idempotency-key': key } : {}) },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const get = (url: string, who: SignedIn = admin) => r.app.inject({ method: 'GET', url, headers: who.headers });
  const jobsOfType = async () => (await r.core.jobs.queue.list({ type: 'fleet.scan' })).total;

  test('a scan request is 202 with the queued scan, and replaying its key returns the same scan without queueing another', async () => {
    const hostId = await insertHost(r);
    const jobsBefore = await jobsOfType();
    const first = await scan(hostId, admin, 'scan-replay');
    assert.equal(first.statusCode, 202, first.body);
    const body = first.json();
    assert.equal(body.status, 'queued');
    assert.match(body.scan_id, /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(body.queued_at)));

    const replay = await scan(hostId, admin, 'scan-replay');
    assert.equal(replay.statusCode, 202);
    assert.deepEqual(replay.json(), body);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(await jobsOfType(), jobsBefore + 1, 'one job for one scan');

    const listed = await get(`/api/v1/scans?host_id=${hostId}`);
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(listed.json().scans.map((s: { scan_id: string }) => s.scan_id), [body.scan_id]);
    const detail = await get(`/api/v1/scans/${body.scan_id}`);
    assert.equal(detail.statusCode, 200);
    assert.equal(detail.json().scan.status, 'queued');
    assert.equal(detail.json().scan.trigger_source, 'on_demand');
    assert.deepEqual(detail.json().results, []);
  });

  test('a scan request without Idempotency-Key is 400 and queues nothing', async () => {
    const hostId = await insertHost(r);
    const res = await scan(hostId, admin, undefined);
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.human_message, /Idempotency-Key/);
    assert.deepEqual((await get(`/api/v1/scans?host_id=${hostId}`)).json().scans, []);
  });

  test('a key reused with another body is 409 and queues nothing more', async () => {
    const hostId = await insertHost(r);
    const first = await scan(hostId, admin, 'scan-reuse', {});
    assert.equal(first.statusCode, 202);
    const other = await scan(hostId, admin, 'scan-reuse', { framework: 'cis' });
    assert.equal(other.statusCode, 409);
    assert.equal((await get(`/api/v1/scans?host_id=${hostId}`)).json().scans.length, 1);
  });

  test('a second scan while one is queued is 409 conflict.scan_active naming the active scan', async () => {
    const hostId = await insertHost(r);
    const first = (await scan(hostId, admin, 'scan-active-1')).json();
    const second = await scan(hostId, admin, 'scan-active-2');
    assert.equal(second.statusCode, 409);
    const error = second.json().error;
    assert.equal(error.code, 'conflict.scan_active');
    assert.match(error.human_message, new RegExp(first.scan_id));
    assert.equal(error.details.scan_id, first.scan_id);
    assert.equal(error.details.status, 'queued');
    const queue = (await get('/api/v1/fleet/scan-queue')).json();
    assert.ok(queue.queued >= 1);
  });

  test('a viewer may read scans but not start one: 403, and nothing is queued', async () => {
    const hostId = await insertHost(r);
    const res = await scan(hostId, viewer, 'scan-viewer');
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.fault, 'policy');
    const listed = await get(`/api/v1/scans?host_id=${hostId}`, viewer);
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(listed.json().scans, []);
  });

  test('unknown, malformed and deleted hosts are 404 hosts.not_found; unknown scans are 404 scans.not_found', async () => {
    const deleted = await insertHost(r, { deleted: true });
    for (const id of [randomUUID(), 'not-a-uuid', deleted]) {
      const res = await scan(id, admin, `scan-404-${id}`);
      assert.equal(res.statusCode, 404, id);
      assert.equal(res.json().error.code, 'hosts.not_found');
      assert.equal((await get(`/api/v1/hosts/${id}/compliance`)).statusCode, 404);
    }
    for (const url of [`/api/v1/scans/${randomUUID()}`, '/api/v1/scans/nope', `/api/v1/scans/${randomUUID()}/evidence`, `/api/v1/scans/${randomUUID()}/rules/x/evidence`]) {
      const res = await get(url);
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().error.code, 'scans.not_found');
    }
  });

  test('bad query input is a 400 in the fleet envelope with OpenWatch\'s code for it, never a 500', async () => {
    for (const [url, code] of [
      ['/api/v1/fleet/recent-changes?limit=0', 'pagination.limit_exceeded'],
      ['/api/v1/fleet/recent-changes?limit=1001', 'pagination.limit_exceeded'],
      ['/api/v1/fleet/top-failing-rules?limit=abc', 'validation.field_format'],
      ['/api/v1/fleet/recent-changes?since=yesterday', 'validation.invalid_value'],
      ['/api/v1/scans?cursor=garbage', 'pagination.cursor_invalid'],
      ['/api/v1/scans?status=paused', 'validation.invalid_value'],
      ['/api/v1/fleet/score?framework=cis%27%20or%201=1', 'validation.field_format'],
    ]) {
      const res = await get(url);
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.ok(res.json().error.human_message, url);
      assert.equal(res.json().error.code, code, url);
    }
    const body = await scan(await insertHost(r), admin, 'scan-bad-body', { framework: 'x', extra: true });
    assert.equal(body.statusCode, 400);
  });

  test('a host never scanned reads as unknown with empty compliance, and the fleet reads as empty', async () => {
    const hostId = await insertHost(r);
    const lens = (await get(`/api/v1/hosts/${hostId}/compliance`)).json();
    assert.deepEqual(lens.scan_context, { last_scan_at: null, scan_id: null, policy_version: '', duration_seconds: null });
    assert.equal(lens.summary.total, 0);
    const schedule = (await get(`/api/v1/hosts/${hostId}/compliance/schedule`)).json();
    assert.equal(schedule.compliance_state, 'unknown');
    assert.equal(schedule.next_scan_at, null);
    assert.equal(schedule.scheduler_enabled, true);
    const failed = (await get(`/api/v1/hosts/${hostId}/compliance/failed-rules`)).json();
    assert.deepEqual(failed, { total_failing: 0, rules: [] });
    const states = (await get('/api/v1/fleet/compliance/states')).json().states;
    assert.equal(states.length, 6);
    assert.ok(states.find((s: { state: string }) => s.state === 'unknown').host_count >= 1);
    const score = (await get('/api/v1/fleet/score', viewer)).json();
    assert.deepEqual(score, { passing_fraction: 0, total_evaluations: 0 });
  });

  test('the scheduler queues scans of due hosts, skipping hosts in maintenance and hosts with an active scan', async () => {
    const due = await insertHost(r);
    const resting = await insertHost(r);
    await r.core.db.kysely.updateTable('fleet_hosts').set({ maintenance_mode: r.core.db.dialect.toBool(true) }).where('id', '=', resting).execute();
    const { scanning } = (await import('../../src/modules/fleet/fleet.services.js')).fleetServices(r.core);
    await scanning.scheduler.tick();
    const dueScans = (await get(`/api/v1/scans?host_id=${due}`)).json().scans;
    assert.equal(dueScans.length, 1);
    assert.equal(dueScans[0].trigger_source, 'scheduled');
    assert.deepEqual((await get(`/api/v1/scans?host_id=${resting}`)).json().scans, [], 'a host in maintenance is not scanned');
    const schedule = (await get(`/api/v1/hosts/${due}/compliance/schedule`)).json();
    assert.equal(schedule.interval_minutes, 360, 'a never-scanned host is rescanned at the unknown band interval');
    assert.ok(Date.parse(schedule.next_scan_at) > Date.now());
    await scanning.scheduler.tick();
    assert.equal((await get(`/api/v1/scans?host_id=${due}`)).json().scans.length, 1, 'not queued twice');
  });
});

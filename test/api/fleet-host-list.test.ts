/**
 * The whole host list (GET /api/v1/hosts without parameters) is served from renderings kept per host
 * (hosts/host-list-cache.ts). These tests read it after every kind of write a user makes or the fleet makes on its
 * own (a host added, edited, put in maintenance, deleted; a liveness probe; a scan queued and completed; discovery)
 * and check it answers what the database holds: the same items as the uncached page (?limit=1000), which reads every
 * row afresh. A second Rampart on the same database (another node) sees the first one's writes too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import type { ProbeReport } from '../../src/modules/fleet/liveness/probes.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { fakeScanEngine } from '../helpers/fake-scan-engine.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';

describe('fleet host list: the whole list after every kind of write', () => {
  let r: TestRampart;
  let admin: SignedIn;
  /** What the next probe reports, and what the next scan finds per rule. */
  let probe: Omit<ProbeReport, 'responseMs'> = { icmp: true, ssh: true, privilege: true, privilegeKind: 'root', error: null, errorType: null };
  let scans: ReturnType<typeof fakeScanEngine>;

  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    const fleet = fleetServices(r.core);
    fleet.hooks.prober = async () => ({ ...probe, responseMs: 3 });
    scans = fakeScanEngine(r);
  });
  after(() => r.cleanup());

  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object, headers: Record<string, string> = {}, on: TestRampart = r) =>
    on.app.inject({ method, url, headers: { ...admin.headers, ...headers }, ...(payload ? { payload } : {}) });
  const whole = async (on: TestRampart = r) => {
    const res = await call('GET', '/api/v1/hosts', undefined, {}, on);
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    return res.json() as { hosts: any[]; total: number; limit: null; offset: number };
  };
  /** The list read afresh from the database (a page is never served from the renderings). */
  const fresh = async (on: TestRampart = r) => (await call('GET', '/api/v1/hosts?limit=1000', undefined, {}, on)).json().hosts as any[];
  const item = async (id: string, on: TestRampart = r) => (await whole(on)).hosts.find((h) => h.id === id);
  /** The whole list equals the fresh read, item for item and in order, and says how many it holds. */
  async function assertCurrent(on: TestRampart = r) {
    const [served, rows] = [await whole(on), await fresh(on)];
    assert.deepEqual(served.hosts, rows);
    assert.equal(served.total, rows.length);
    assert.equal(served.limit, null);
  }
  const create = async (hostname: string) => {
    const res = await call('POST', '/api/v1/hosts', { hostname, ip_address: '10.245.3.1', tags: ['list'] });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id as string;
  };

  test('a host added, edited, put in maintenance and deleted shows at once, in list order', async () => {
    const first = await create('list-m');
    await whole(); // the renderings exist from here on
    const before = await create('list-a'); // sorts before the first
    let listed = await whole();
    const names = listed.hosts.map((h) => h.hostname);
    assert.ok(names.indexOf('list-a') < names.indexOf('list-m'), `list order by hostname: ${names.join(',')}`);
    await assertCurrent();

    assert.equal((await call('PATCH', `/api/v1/hosts/${first}`, { display_name: 'Mail relay', tags: ['list', 'mail'] })).statusCode, 200);
    assert.equal((await item(first)).display_name, 'Mail relay');
    assert.deepEqual((await item(first)).tags, ['list', 'mail']);

    assert.equal((await call('PUT', `/api/v1/hosts/${first}/maintenance`, { enabled: true })).statusCode, 200);
    listed = await whole();
    const inMaintenance = listed.hosts.find((h) => h.id === first);
    assert.equal(inMaintenance.maintenance_mode, true);
    assert.equal(inMaintenance.liveness.monitoring_state, 'maintenance');
    await assertCurrent();

    assert.equal((await call('DELETE', `/api/v1/hosts/${before}`)).statusCode, 204);
    listed = await whole();
    assert.equal(listed.hosts.some((h) => h.id === before), false, 'a deleted host leaves the list');
    assert.equal(listed.total, listed.hosts.length);
    await assertCurrent();
  });

  test('a liveness probe (connectivity:check) changes the host\'s liveness columns', async () => {
    const id = await create('list-probe');
    assert.equal((await item(id)).liveness, null, 'never probed');
    const check = await call('POST', `/api/v1/hosts/${id}/connectivity:check`, {}, { 'idempotency-key': `probe-${id}` });
    assert.equal(check.statusCode, 200, check.body);
    const live = (await item(id)).liveness;
    assert.equal(live.reachability_status, 'reachable');
    assert.equal(live.ssh_consecutive_successes, 1);
    assert.equal(live.last_response_ms, 3);

    probe = { icmp: true, ssh: false, privilege: null, privilegeKind: null, error: 'connection refused', errorType: 'unreachable' };
    try {
      await call('POST', `/api/v1/hosts/${id}/connectivity:check`, {}, { 'idempotency-key': `probe2-${id}` });
      const failed = (await item(id)).liveness;
      assert.equal(failed.ssh_consecutive_failures, 1);
      assert.equal(failed.last_error, 'connection refused');
    } finally {
      probe = { icmp: true, ssh: true, privilege: true, privilegeKind: 'root', error: null, errorType: null };
    }
    await assertCurrent();
  });

  test('the scheduler\'s probes (claim, then result) show without a request touching the host', async () => {
    const id = await create('list-scheduled');
    await whole();
    // A new host's liveness row is due at once: the round probes it.
    await fleetServices(r.core).liveness.tick();
    const live = (await item(id)).liveness;
    assert.ok(live, 'the scheduler created and probed the liveness row');
    assert.equal(live.reachability_status, 'reachable');
    await assertCurrent();
  });

  test('a scan shows queued, then its results: compliance summary, last scan and scan id', async () => {
    const id = await create('list-scan');
    await whole();
    scans.verdicts = { 'list-rule-b': 'fail' };
    const queued = await call('POST', `/api/v1/hosts/${id}/scans`, {}, { 'idempotency-key': `scan-${id}` });
    assert.equal(queued.statusCode, 202, queued.body);
    assert.equal((await item(id)).scan_state, 'queued');
    while ((await r.worker.runOnce()) > 0);
    const scanned = await item(id);
    assert.equal(scanned.scan_state, null);
    assert.equal(scanned.latest_scan_id, queued.json().scan_id);
    assert.deepEqual(scanned.compliance_summary, { passing: 2, failing: 1, skipped: 0, error: 0, total: 3, critical_failing: 1 });

    scans.verdicts = {};
    await call('POST', `/api/v1/hosts/${id}/scans`, {}, { 'idempotency-key': `rescan-${id}` });
    while ((await r.worker.runOnce()) > 0);
    assert.deepEqual((await item(id)).compliance_summary, { passing: 3, failing: 0, skipped: 0, error: 0, total: 3, critical_failing: 0 });
    await assertCurrent();
  });

  test('ETag: a repeat fetch is 304 while nothing changed, and 200 with a new tag after a write', async () => {
    const id = await create('list-etag');
    const first = await call('GET', '/api/v1/hosts');
    const etag = String(first.headers.etag);
    assert.match(etag, /^W\/"hosts-/);
    const again = await call('GET', '/api/v1/hosts', undefined, { 'if-none-match': etag });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    await call('PATCH', `/api/v1/hosts/${id}`, { environment: 'staging' });
    const changed = await call('GET', '/api/v1/hosts', undefined, { 'if-none-match': etag });
    assert.equal(changed.statusCode, 200);
    assert.notEqual(changed.headers.etag, etag);
    assert.equal(changed.json().hosts.find((h: any) => h.id === id).environment, 'staging');
  });

  test('filters, frameworks and pages are answered from the database with the same items', async () => {
    const served = await whole();
    const tagged = (await call('GET', '/api/v1/hosts?tag=mail')).json();
    assert.deepEqual(tagged.hosts, served.hosts.filter((h) => h.tags.includes('mail')));
    assert.equal(tagged.hosts.length, 1);
    const page = (await call('GET', '/api/v1/hosts?limit=2&offset=1')).json();
    assert.deepEqual(page.hosts, served.hosts.slice(1, 3));
    assert.equal(page.total, served.total);
  });

  test('another node on the same database serves the writes made through this one', async () => {
    const other = await createTestRampart({ tdb: r.tdb });
    try {
      await whole(other); // its renderings exist before the writes
      const id = await create('list-other-node');
      await waitFor('the other node lists the new host', async () => (await item(id, other)) !== undefined || undefined);
      await call('PATCH', `/api/v1/hosts/${id}`, { display_name: 'seen elsewhere' });
      await waitFor('the other node shows the edit', async () => (await item(id, other))?.display_name === 'seen elsewhere' || undefined);
      await call('POST', `/api/v1/hosts/${id}/connectivity:check`, {}, { 'idempotency-key': `other-${id}` });
      await waitFor('the other node shows the probe', async () => (await item(id, other))?.liveness?.reachability_status === 'reachable' || undefined);
      await call('DELETE', `/api/v1/hosts/${id}`);
      await waitFor('the other node drops the deleted host', async () => (await item(id, other)) === undefined || undefined);
      await assertCurrent(other);
    } finally {
      await other.cleanup();
    }
  });
});

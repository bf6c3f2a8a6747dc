/**
 * Cancelling a scan (POST /api/v1/scans/{id}:cancel, and the archived API's /api/scans/{id}/stop and /cancel): a
 * queued scan never runs, a running one records none of its results, a finished one is 409, and the host can be
 * scanned again at once. Scans evaluate a fake rule set (test/helpers/fake-scan-engine.ts); the job worker is real.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { fakeScanEngine } from '../helpers/fake-scan-engine.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';

describe('fleet scan cancel', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let viewer: SignedIn;
  let engine: ReturnType<typeof fakeScanEngine>;

  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    viewer = await signIn(r, { roles: ['viewer'] });
    engine = fakeScanEngine(r);
  });
  after(() => r.cleanup());

  const call = (method: 'GET' | 'POST', url: string, who: SignedIn = admin, headers: Record<string, string> = {}, payload?: object) =>
    r.app.inject({ method, url, headers: { ...who.headers, ...headers }, ...(payload ? { payload } : {}) });
  const newHost = async (hostname: string) => (await call('POST', '/api/v1/hosts', admin, {}, { hostname, ip_address: '10.245.3.2' })).json().id as string;
  const queue = async (hostId: string) => {
    const res = await call('POST', `/api/v1/hosts/${hostId}/scans`, admin, { 'idempotency-key': `scan-${hostId}-${Math.random()}` });
    assert.equal(res.statusCode, 202, res.body);
    return res.json().scan_id as string;
  };
  const scanOf = async (id: string) => (await call('GET', `/api/v1/scans/${id}`)).json();
  const listed = async (hostId: string) => (await call('GET', '/api/v1/hosts')).json().hosts.find((h: any) => h.id === hostId);

  test('a queued scan cancelled never runs: failed "cancelled by", no results, the host free to scan again', async () => {
    const hostId = await newHost('cancel-queued');
    const scanId = await queue(hostId);
    const res = await call('POST', `/api/v1/scans/${scanId}:cancel`);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().scan.status, 'failed');
    assert.match(res.json().scan.failure_reason, /^cancelled by /);
    assert.equal((await listed(hostId)).scan_state, null, 'the host list no longer shows it queued');

    while ((await r.worker.runOnce()) > 0);
    const after = await scanOf(scanId);
    assert.equal(after.scan.status, 'failed');
    assert.deepEqual(after.results, [], 'nothing was evaluated');
    assert.equal((await listed(hostId)).compliance_summary, null);
    const audit = await r.core.audit.list({ action: 'compliance.scan.cancelled', resourceId: scanId }, { limit: 5 });
    assert.equal(audit.items.length, 1);

    const again = await queue(hostId);
    while ((await r.worker.runOnce()) > 0);
    assert.equal((await scanOf(again)).scan.status, 'completed');
  });

  test('a running scan cancelled records none of its results', async () => {
    const hostId = await newHost('cancel-running');
    const scanId = await queue(hostId);
    let release!: () => void;
    engine.gate = new Promise((resolve) => (release = resolve));
    // Other due jobs (the host's discovery, periodic ones) may fill the first batch: batches run until the gate opens.
    let released = false;
    const running = (async () => {
      while (!released && (await r.worker.runOnce()) > 0);
    })();
    try {
      await waitFor('the scan to be evaluating', () => engine.evaluating > 0);
      assert.equal((await scanOf(scanId)).scan.status, 'running');
      const res = await call('POST', `/api/scans/${scanId}/stop`); // the archived API's form
      assert.equal(res.statusCode, 200, res.body);
    } finally {
      engine.gate = null;
      released = true;
      release();
      await running;
    }
    const after = await scanOf(scanId);
    assert.equal(after.scan.status, 'failed');
    assert.deepEqual(after.results, []);
    const host = await listed(hostId);
    assert.equal(host.latest_scan_id, null, 'no compliance recorded');
    assert.equal(host.scan_state, null);
  });

  test('a finished scan is 409 conflict.scan_not_active; unknown is 404; a viewer is 403', async () => {
    const hostId = await newHost('cancel-finished');
    const scanId = await queue(hostId);
    while ((await r.worker.runOnce()) > 0);
    const done = await call('POST', `/api/scans/${scanId}/cancel`);
    assert.equal(done.statusCode, 409, done.body);
    assert.equal(done.json().error.code, 'conflict.scan_not_active');
    assert.equal((await scanOf(scanId)).scan.status, 'completed', 'unchanged');
    assert.equal((await call('POST', '/api/v1/scans/00000000-0000-4000-8000-000000000000:cancel')).statusCode, 404);
    assert.equal((await call('POST', '/api/v1/scans/not-a-uuid:cancel')).statusCode, 404);

    const other = await queue(await newHost('cancel-viewer'));
    const denied = await call('POST', `/api/v1/scans/${other}:cancel`, viewer);
    assert.equal(denied.statusCode, 403);
    assert.equal((await scanOf(other)).scan.status, 'queued', 'a refused cancel changes nothing');
  });
});

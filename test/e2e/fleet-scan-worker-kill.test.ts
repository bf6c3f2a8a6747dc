/**
 * A scan whose worker dies mid-scan: two `rampart worker` processes share the database (SQLite, or PostgreSQL under
 * RAMPART_TEST_DATABASE_URL) and reach a namespace host from the lab's client namespace, as workers on other nodes
 * would. The one running the scan is killed (SIGKILL) while its check runs on the host; the job's lease runs out,
 * the other worker takes it over and completes the scan. The rule's check notices another scan of the host running
 * beside it (a directory on the host it holds for a few seconds), so "alone" in the evidence shows no second run
 * overlapped the first.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { onPostgres, unixSocketUrl } from '../helpers/db.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { repoRoot } from '../helpers/process.js';
import { skipUnlessSshLab, startSshLab, type SshLab } from '../helpers/ssh-lab.js';
import { waitFor } from '../helpers/wait.js';

const SLOW_RULES = fileURLToPath(new URL('../fixtures/fleet-slow-rules', import.meta.url));
const LEASE_MS = 15_000;

interface WorkerProcess {
  proc: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

describe('a scan whose worker is killed mid-scan', { skip: skipUnlessSshLab() }, () => {
  let lab: SshLab;
  let r: TestRampart;
  let admin: SignedIn;
  let hostId: string;
  const workers: WorkerProcess[] = [];

  const api = async (method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) => {
    const res = await r.app.inject({ method, url, headers: { ...admin.headers, ...headers }, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.body ? res.json() : undefined };
  };

  /** `rampart worker` inside the lab's client namespace, on the test's database and data directory (its key file). */
  async function startWorker(): Promise<WorkerProcess> {
    const url = onPostgres ? await unixSocketUrl(r.tdb.url) : r.tdb.url;
    const proc = spawn('ip', ['netns', 'exec', lab.clientNamespace, process.execPath, 'bin/rampart.js', 'worker', '--data-dir', r.tdb.dataDir], {
      cwd: repoRoot,
      env: {
        ...process.env,
        RAMPART_DATABASE_URL: url,
        RAMPART_JOBS_POLL_INTERVAL_MS: '100',
        RAMPART_JOBS_LEASE_MS: String(LEASE_MS),
        RAMPART_FLEET_RULES_DIR: SLOW_RULES,
        RAMPART_LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    const worker = { proc, exited: new Promise<number | null>((resolve) => proc.once('exit', resolve)), output: () => out };
    workers.push(worker);
    return worker;
  }

  before(async () => {
    lab = await startSshLab({ hosts: [{ name: 'db', login: 'key' }], subnet: '10.213.2' });
    r = await createTestRampart({ overrides: { 'fleet.rules_dir': SLOW_RULES } });
    admin = await signIn(r, { roles: ['admin'] });
    const db = lab.host('db');
    const host = await api('POST', '/api/v1/hosts', { hostname: 'db.e2e.test', ip_address: db.address, port: db.port });
    assert.equal(host.status, 201, JSON.stringify(host.body));
    hostId = host.body.id;
    const credential = await api('POST', '/api/v1/credentials', {
      scope: 'host', scope_id: hostId, name: 'db key', username: db.username, auth_method: 'ssh_key', private_key: db.privateKey,
    });
    assert.equal(credential.status, 201, JSON.stringify(credential.body));
    const release = lab.must('db', '. /etc/os-release && echo "$ID $VERSION_ID"').trim().split(' ');
    await r.core.db.kysely.updateTable('fleet_hosts').set({ os_family: release[0], os_version: release[1] }).where('id', '=', hostId).execute();
  });

  after(async () => {
    for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await lab?.close();
    await r?.cleanup();
    assert.deepEqual(lab ? lab.remainingNamespaces() : [], []);
  });

  test('the job is reaped by lease and finished by the other worker; the scan completes once and never runs twice at once', async () => {
    const queued = await api('POST', `/api/v1/hosts/${hostId}/scans`, undefined, { 'idempotency-key': 'kill-test' });
    assert.equal(queued.status, 202);
    const scanId = queued.body.scan_id as string;
    const jobId = (await r.core.db.kysely.selectFrom('fleet_scan_runs').select('job_id').where('id', '=', scanId).executeTakeFirstOrThrow()).job_id!;

    const first = await startWorker();
    const second = await startWorker();
    // Mid-scan: the check holds its directory on the host.
    await waitFor('the scan check to be running on the host', () => lab.exec('db', 'test -d /tmp/rampart-scan-running').status === 0, 120_000, 50);
    const job = await r.core.jobs.queue.get(jobId);
    assert.equal(job.status, 'running');
    const holderPid = Number(job.locked_by!.split(':')[1]);
    const [victim, survivor] = holderPid === first.proc.pid ? [first, second] : [second, first];
    assert.equal(victim.proc.pid, holderPid, `the job is held by one of the two workers (${job.locked_by})`);
    assert.equal((await api('GET', `/api/v1/scans/${scanId}`)).body.scan.status, 'running');
    victim.proc.kill('SIGKILL');
    await victim.exited;

    const detail = await waitFor('the other worker to complete the scan', async () => {
      const d = (await api('GET', `/api/v1/scans/${scanId}`)).body;
      return ['completed', 'failed'].includes(d.scan.status) && d;
    }, 180_000, 200);
    assert.equal(detail.scan.status, 'completed', `${detail.scan.failure_reason}\n${survivor.output()}`);
    assert.equal(detail.scan.attempts, 2, 'the second attempt, after the lease of the first ran out');
    assert.deepEqual(detail.results.map((x: { rule_id: string; status: string }) => [x.rule_id, x.status]), [['e2e-slow-exclusive-check', 'pass']]);
    const evidence = (await api('GET', `/api/v1/scans/${scanId}/rules/e2e-slow-exclusive-check/evidence`)).body;
    assert.equal(evidence.checks[0].stdout.trim(), 'alone', 'no other scan of the host ran beside the one that completed');

    const finished = await r.core.jobs.queue.get(jobId);
    assert.equal(finished.status, 'succeeded');
    assert.equal(finished.locked_by, null);
    const completions = await r.core.db.kysely
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'compliance.scan.completed')
      .where('resource_id', '=', scanId)
      .execute();
    assert.equal(completions.length, 1, 'completed exactly once');
    assert.equal(survivor.proc.exitCode, null, 'the other worker is still running');
    const locks = await r.core.db.kysely.selectFrom('fleet_scan_locks').selectAll().execute();
    assert.deepEqual(locks, [], 'the lock is released');
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { migratedDatabase } from '../helpers/db.js';
import { coreMigrations } from '../../src/core/migrations.js';
import { jobsMigrations } from '../../src/core/jobs/jobs.migrations.js';
import { createJobQueue } from '../../src/core/jobs/job.queue.js';
import { createJobStore } from '../../src/core/jobs/job.store.js';
import { createJobRegistry } from '../../src/core/jobs/job.registry.js';
import { createWorker, retryDelayMs, type WorkerDeps } from '../../src/core/jobs/worker.js';
import type { Job } from '../../src/core/jobs/job.types.js';
import { RampartError } from '../../src/core/errors.js';

// Once the lead registers the jobs module in coreMigrations, the helper migrates it already.
const jobsModule = coreMigrations.some((m) => m.module === 'jobs') ? [] : [{ module: 'jobs', migrations: jobsMigrations }];
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const silent = pino({ level: 'silent' });

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const tdb = await migratedDatabase(jobsModule);
  t.after(() => tdb.cleanup());
  const clock = { ms: T0 };
  const now = () => new Date(clock.ms);
  const queue = createJobQueue({ db: tdb.db, now, defaults: { maxAttempts: 3 } });
  const worker = (over: Partial<WorkerDeps> = {}) =>
    createWorker({
      db: tdb.db,
      now,
      logger: silent,
      handlers: createJobRegistry(),
      concurrency: 2,
      pollIntervalMs: 60_000,
      leaseMs: 30_000,
      ...over,
    });
  return { tdb, db: tdb.db, clock, now, queue, worker };
}

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

test('an enqueued job runs once with its payload and correlation id, then is succeeded', async (t) => {
  const { queue, worker } = await setup(t);
  const w = worker();
  const seen: { payload: unknown; correlationId: string | null; aborted: boolean }[] = [];
  w.register<{ host: string; port: number }>('probe', async (job, ctx) => {
    seen.push({ payload: job.payload, correlationId: ctx.correlationId, aborted: ctx.signal.aborted });
  });
  const job = await queue.enqueue('probe', { host: 'gw1', port: 51820 }, { correlationId: 'corr-123' });
  assert.equal(job.status, 'queued');
  assert.equal((await queue.get(job.id)).status, 'queued');

  assert.equal(await w.runOnce(), 1);
  assert.deepEqual(seen, [{ payload: { host: 'gw1', port: 51820 }, correlationId: 'corr-123', aborted: false }]);
  const done = await queue.get(job.id);
  assert.equal(done.status, 'succeeded');
  assert.equal(done.attempts, 1);
  assert.equal(done.correlation_id, 'corr-123');
  assert.equal(done.finished_at, new Date(T0).toISOString());
  assert.equal(done.locked_by, null);
  assert.equal(await w.runOnce(), 0, 'a succeeded job is not run again');
  assert.equal(seen.length, 1);
});

test('a job enqueued in a unit of work commits or rolls back with it', async (t) => {
  const { db, queue } = await setup(t);
  await assert.rejects(
    db.transaction(async () => {
      await queue.enqueue('probe', { n: 1 });
      throw new Error('the change that caused the job failed');
    }),
    /caused the job failed/,
  );
  assert.equal((await queue.list()).total, 0);
  const kept = await db.transaction(() => queue.enqueue('probe', { n: 2 }));
  assert.deepEqual((await queue.list()).items.map((j) => j.id), [kept.id]);
});

test('a job is not run before its run_at', async (t) => {
  const { clock, queue, worker } = await setup(t);
  const w = worker();
  let runs = 0;
  w.register('later', async () => void runs++);
  await queue.enqueue('later', {}, { runAt: new Date(T0 + 60_000) });
  assert.equal(await w.runOnce(), 0);
  clock.ms = T0 + 60_000;
  assert.equal(await w.runOnce(), 1);
  assert.equal(runs, 1);
});

test('a failed job is retried with exponential backoff, then succeeds', async (t) => {
  const { clock, queue, worker } = await setup(t);
  const w = worker();
  let calls = 0;
  w.register('flaky', async () => {
    calls++;
    if (calls <= 2) throw new Error(`upstream refused (${calls})`);
  });
  const job = await queue.enqueue('flaky', {}, { maxAttempts: 5 });

  assert.equal(await w.runOnce(), 1);
  let state = await queue.get(job.id);
  assert.equal(state.status, 'queued');
  assert.equal(state.attempts, 1);
  assert.equal(state.last_error, 'upstream refused (1)');
  let delay = Date.parse(state.run_at) - clock.ms;
  assert.ok(delay >= 500 && delay <= 1_000, `first retry after 0.5..1 s, got ${delay} ms`);

  assert.equal(await w.runOnce(), 0, 'not due before the backoff has passed');
  clock.ms = Date.parse(state.run_at);
  assert.equal(await w.runOnce(), 1);
  state = await queue.get(job.id);
  assert.equal(state.status, 'queued');
  assert.equal(state.attempts, 2);
  assert.equal(state.last_error, 'upstream refused (2)');
  delay = Date.parse(state.run_at) - clock.ms;
  assert.ok(delay >= 1_000 && delay <= 2_000, `second retry after 1..2 s, got ${delay} ms`);

  clock.ms = Date.parse(state.run_at);
  assert.equal(await w.runOnce(), 1);
  state = await queue.get(job.id);
  assert.equal(state.status, 'succeeded');
  assert.equal(state.attempts, 3);
  assert.equal(calls, 3);
});

test('the backoff doubles from 1 s up to a 10 minute cap, with jitter below the ceiling', () => {
  assert.equal(retryDelayMs(1, () => 1), 1_000);
  assert.equal(retryDelayMs(2, () => 1), 2_000);
  assert.equal(retryDelayMs(5, () => 1), 16_000);
  assert.equal(retryDelayMs(40, () => 1), 600_000);
  assert.equal(retryDelayMs(1, () => 0), 500);
  assert.equal(retryDelayMs(40, () => 0), 300_000);
});

test('a job that keeps failing is dead after max attempts with its last error, and can be retried', async (t) => {
  const { clock, queue, worker } = await setup(t);
  const w = worker({ random: () => 1 });
  let healthy = false;
  w.register('push-config', async () => {
    if (!healthy) throw new Error('gateway unreachable');
  });
  const job = await queue.enqueue('push-config', { gw: 'a' }, { maxAttempts: 2 });

  assert.equal(await w.runOnce(), 1);
  clock.ms += 1_000;
  assert.equal(await w.runOnce(), 1);
  const dead = await queue.get(job.id);
  assert.equal(dead.status, 'dead');
  assert.equal(dead.attempts, 2);
  assert.equal(dead.last_error, 'gateway unreachable');
  assert.equal(dead.finished_at, new Date(clock.ms).toISOString());
  clock.ms += 3_600_000;
  assert.equal(await w.runOnce(), 0, 'a dead job is not run again by itself');
  assert.deepEqual((await queue.list({ status: 'dead' })).items.map((j) => j.id), [job.id]);

  const revived = await queue.retry(job.id);
  assert.equal(revived.status, 'queued');
  assert.equal(revived.attempts, 0);
  healthy = true;
  assert.equal(await w.runOnce(), 1);
  assert.equal((await queue.get(job.id)).status, 'succeeded');
  await assert.rejects(queue.retry(job.id), (err: RampartError) => err.status === 409 && /succeeded/.test(err.message));
  await assert.rejects(queue.retry('8d0a4c2e-1111-4222-8333-444455556666'), (err: RampartError) => err.status === 404);
});

test('a job of an unknown type is dead at once with a clear error', async (t) => {
  const { queue, worker } = await setup(t);
  const w = worker();
  const job = await queue.enqueue('no-such-type', {}, { maxAttempts: 5 });
  assert.equal(await w.runOnce(), 1);
  const dead = await queue.get(job.id);
  assert.equal(dead.status, 'dead');
  assert.equal(dead.last_error, 'no handler is registered for job type "no-such-type"');
});

test('a running job whose lease expired is reclaimed by another worker; the lost claim cannot finish it', async (t) => {
  const { db, clock, queue, worker } = await setup(t);
  const store = createJobStore(db);
  const job = await queue.enqueue('sync', { n: 1 });
  // A worker claims the job and dies without finishing it.
  const [lost] = await store.claim({
    workerId: 'crashed-worker',
    now: new Date(clock.ms).toISOString(),
    lockedUntil: new Date(clock.ms + 30_000).toISOString(),
    limit: 10,
  });
  assert.equal(lost.id, job.id);

  const w = worker({ workerId: 'rescuer' });
  const runs: Job[] = [];
  w.register('sync', async (j) => void runs.push(j));
  assert.equal(await w.runOnce(), 0, 'a job under a live lease is left alone');
  clock.ms += 30_001;
  assert.equal(await w.runOnce(), 1);
  assert.equal(runs.length, 1);
  assert.equal(runs[0].locked_by, 'rescuer');
  assert.equal(runs[0].attempts, 2, 'the lost attempt counts');
  const done = await queue.get(job.id);
  assert.equal(done.status, 'succeeded');
  assert.equal(await store.bury(lost, 'late failure from the crashed worker', new Date(clock.ms).toISOString()), false);
  assert.equal((await queue.get(job.id)).status, 'succeeded');
});

test('a job that loses its lease on its last attempt is dead instead of running again', async (t) => {
  const { db, clock, queue, worker } = await setup(t);
  const store = createJobStore(db);
  const job = await queue.enqueue('crashes-the-process', {}, { maxAttempts: 1 });
  await store.claim({ workerId: 'w1', now: new Date(clock.ms).toISOString(), lockedUntil: new Date(clock.ms + 1).toISOString(), limit: 1 });
  clock.ms += 2;
  const w = worker();
  let runs = 0;
  w.register('crashes-the-process', async () => void runs++);
  assert.equal(await w.runOnce(), 1);
  assert.equal(runs, 0);
  const dead = await queue.get(job.id);
  assert.equal(dead.status, 'dead');
  assert.match(dead.last_error ?? '', /lease expired/);
});

test('a started worker wakes on notify() without waiting for the poll interval, and stop() waits for an in-flight job', { timeout: 30_000 }, async (t) => {
  const { queue, worker } = await setup(t);
  const w = worker({ pollIntervalMs: 600_000 });
  const started = deferred<Job>();
  const release = deferred();
  w.register('slow', async (job) => {
    started.resolve(job);
    await release.promise;
  });
  w.start();
  const job = await queue.enqueue('slow', { step: 1 });
  w.notify();
  assert.equal((await started.promise).id, job.id);

  let stopped = false;
  const stopping = w.stop(600_000).then(() => (stopped = true));
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(stopped, false, 'stop() returned while a job was still running');
  assert.equal((await queue.get(job.id)).status, 'running');
  release.resolve();
  await stopping;
  assert.equal((await queue.get(job.id)).status, 'succeeded');

  // A stopped worker claims nothing more.
  const after = await queue.enqueue('slow', { step: 2 });
  w.notify();
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal((await queue.get(after.id)).status, 'queued');
});

test('stop() past its bound aborts a running job and requeues it without counting the attempt', { timeout: 30_000 }, async (t) => {
  const { queue, worker } = await setup(t);
  const w = worker();
  const started = deferred();
  let abortReason: unknown;
  w.register('stubborn', async (_job, { signal }) => {
    started.resolve();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    abortReason = signal.reason;
    throw new Error('aborted');
  });
  const job = await queue.enqueue('stubborn', {});
  w.start();
  await started.promise;
  await w.stop(20);
  assert.match(String(abortReason), /worker stopping/);
  const state = await queue.get(job.id);
  assert.equal(state.status, 'queued');
  assert.equal(state.attempts, 0);
  assert.equal(state.locked_by, null);
  assert.match(state.last_error ?? '', /interrupted/);
});

test("a job's log lines carry its correlation id", async (t) => {
  const { queue, worker } = await setup(t);
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  const w = worker({ logger: pino({ level: 'debug' }, sink) });
  w.register('traced', async (_job, ctx) => ctx.logger.info('inside the handler'));
  w.register('failing', async () => {
    throw new Error('nope');
  });
  await queue.enqueue('traced', {}, { correlationId: 'req-42' });
  await queue.enqueue('failing', {}, { correlationId: 'req-43', maxAttempts: 1 });
  assert.equal(await w.runOnce(), 2);
  const inside = lines.find((l) => l.msg === 'inside the handler');
  assert.equal(inside?.correlation_id, 'req-42');
  assert.equal(lines.find((l) => l.msg === 'job succeeded')?.correlation_id, 'req-42');
  const dead = lines.find((l) => l.msg === 'job is dead');
  assert.equal(dead?.correlation_id, 'req-43');
  assert.equal(dead?.job_type, 'failing');
});

test('jobs are listed newest first, filtered by status, type and correlation id, and paged', async (t) => {
  const { clock, queue } = await setup(t);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    clock.ms = T0 + i * 1_000;
    ids.push((await queue.enqueue(i % 2 ? 'odd' : 'even', { i }, { correlationId: i === 3 ? 'c3' : null })).id);
  }
  const all = await queue.list({}, { limit: 2, offset: 1 });
  assert.equal(all.total, 5);
  assert.deepEqual(all.items.map((j) => j.id), [ids[3], ids[2]]);
  assert.deepEqual((await queue.list({ type: 'odd' })).items.map((j) => j.id), [ids[3], ids[1]]);
  assert.deepEqual((await queue.list({ correlationId: 'c3' })).items.map((j) => j.payload), [{ i: 3 }]);
  assert.equal((await queue.list({ status: 'succeeded' })).total, 0);
  await assert.rejects(queue.list({ status: 'bogus' as never }), (err: RampartError) => err.status === 400);
  await assert.rejects(queue.get('8d0a4c2e-1111-4222-8333-444455556666'), (err: RampartError) => err.status === 404);
});


import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { migratedDatabase } from '../helpers/db.js';
import { coreMigrations } from '../../src/core/migrations.js';
import { jobsMigrations } from '../../src/core/jobs/jobs.migrations.js';
import { createJobQueue } from '../../src/core/jobs/job.queue.js';
import { createJobRegistry } from '../../src/core/jobs/job.registry.js';
import { createWorker, type Worker } from '../../src/core/jobs/worker.js';
import type { Database } from '../../src/core/db/database.js';

const jobsModule = coreMigrations.some((m) => m.module === 'jobs') ? [] : [{ module: 'jobs', migrations: jobsMigrations }];
const JOBS = 200;
const now = () => new Date();

/**
 * Two workers, each on its own database handle (its own connection pool on PostgreSQL: two "nodes"), race over the
 * same queue. The handler records every execution, so a job claimed by both would show up twice.
 */
async function raceSetup(t: { after(fn: () => Promise<void>): void }) {
  const tdb = await migratedDatabase(jobsModule);
  t.after(() => tdb.cleanup());
  // Several attempts allowed: a job claimed twice would then run twice here, rather than be buried as a lost lease.
  const queue = createJobQueue({ db: tdb.db, now, defaults: { maxAttempts: 5 } });
  await tdb.db.transaction(async () => {
    for (let i = 0; i < JOBS; i++) await queue.enqueue('count', { i });
  });
  const runs = new Map<string, string[]>();
  let distinct = 0;
  let allRanResolve!: () => void;
  const allRan = new Promise<void>((r) => (allRanResolve = r));
  const makeWorker = (id: string, db: Database): Worker => {
    const handlers = createJobRegistry();
    handlers.register('count', async (job) => {
      const by = runs.get(job.id) ?? [];
      by.push(id);
      runs.set(job.id, by);
      if (by.length === 1 && ++distinct === JOBS) allRanResolve();
      // Yield so the other worker's claims interleave with this one's.
      await new Promise((r) => setImmediate(r));
    });
    return createWorker({
      db,
      now,
      logger: pino({ level: 'silent' }),
      handlers,
      concurrency: 8,
      pollIntervalMs: 10,
      leaseMs: 600_000,
      workerId: id,
    });
  };
  const a = makeWorker('worker-a', tdb.open());
  const b = makeWorker('worker-b', tdb.open());
  return { queue, runs, a, b, allRan };
}

async function assertEachRanOnce(queue: ReturnType<typeof createJobQueue>, runs: Map<string, string[]>) {
  const twice = [...runs].filter(([, by]) => by.length > 1);
  assert.deepEqual(twice, [], 'jobs run more than once');
  assert.equal(runs.size, JOBS, 'every job ran');
  const succeeded = await queue.list({ status: 'succeeded' }, { limit: 1 });
  assert.equal(succeeded.total, JOBS, 'every job is recorded as succeeded');
  const ranBy = new Set([...runs.values()].flat());
  assert.deepEqual([...ranBy].sort(), ['worker-a', 'worker-b'], 'both workers took part in the race');
}

test('two workers draining one queue with runOnce never run a job twice', { timeout: 120_000 }, async (t) => {
  const { queue, runs, a, b } = await raceSetup(t);
  const drain = async (w: Worker) => {
    while ((await w.runOnce()) > 0);
  };
  await Promise.all([drain(a), drain(b)]);
  await assertEachRanOnce(queue, runs);
});

test('two started workers polling one queue never run a job twice', { timeout: 120_000 }, async (t) => {
  const { queue, runs, a, b, allRan } = await raceSetup(t);
  a.start();
  b.start();
  await allRan;
  await Promise.all([a.stop(60_000), b.stop(60_000)]);
  await assertEachRanOnce(queue, runs);
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { createJobQueue } from '../../src/core/jobs/job.queue.js';
import { migratedDatabase } from '../helpers/db.js';
import { repoRoot } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';

test('rampart worker claims jobs from the shared database and stops on SIGTERM', async () => {
  const tdb = await migratedDatabase();
  const proc = spawn(process.execPath, ['bin/rampart.js', 'worker', '--data-dir', tdb.dataDir], {
    cwd: repoRoot,
    env: { ...process.env, RAMPART_DATABASE_URL: tdb.url, RAMPART_JOBS_POLL_INTERVAL_MS: '50', RAMPART_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  try {
    // This build registers no job type yet, so a job of an unknown type is the visible proof that the worker
    // claimed it: it goes dead with a clear reason instead of staying queued.
    const queue = createJobQueue({ db: tdb.db, now: () => new Date(), defaults: { maxAttempts: 3 } });
    const job = await queue.enqueue('probe.unknown', { n: 1 }, { correlationId: 'worker-cli' });
    // queued, then running while the worker holds it, then dead: wait for an end state, not just for the claim.
    const seen = await waitFor('the worker to finish with the job', async () => {
      const current = await queue.get(job.id);
      return (current?.status === 'dead' || current?.status === 'succeeded') && current;
    }, 60_000);
    assert.equal(seen?.status, 'dead');
    assert.match(seen?.last_error ?? '', /no handler is registered for job type "probe.unknown"/);
  } finally {
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    await tdb.cleanup();
  }
});

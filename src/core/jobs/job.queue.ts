import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.js';
import { errors } from '../errors.js';
import { createJobStore, type JobStore } from './job.store.js';
import { JOB_STATUSES, type EnqueueOptions, type Job, type JobFilter, type JobList } from './job.types.js';

export const JOB_PAGE_MAX = 200;

export interface JobQueueDeps {
  db: Database;
  now: () => Date;
  defaults: { maxAttempts: number };
  /** Shared with a worker in the same process; built from db when absent. */
  store?: JobStore;
}

/** Enqueues and inspects jobs. Workers (worker.ts) run them, in this process or another node. */
export function createJobQueue(deps: JobQueueDeps) {
  const store = deps.store ?? createJobStore(deps.db);
  return {
    store,

    /**
     * Adds a job. It is written through the current unit of work, so inside db.transaction() it commits or rolls
     * back with the change that caused it.
     */
    async enqueue<P>(type: string, payload: P, opts: EnqueueOptions = {}): Promise<Job<P>> {
      if (!type) throw errors.validation('job type must not be empty');
      const maxAttempts = opts.maxAttempts ?? deps.defaults.maxAttempts;
      if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw errors.validation('maxAttempts must be an integer of at least 1');
      const now = deps.now().toISOString();
      const job: Job<P> = {
        id: randomUUID(),
        type,
        payload,
        status: 'queued',
        attempts: 0,
        max_attempts: maxAttempts,
        run_at: (opts.runAt ?? deps.now()).toISOString(),
        locked_by: null,
        locked_until: null,
        last_error: null,
        correlation_id: opts.correlationId ?? null,
        created_at: now,
        updated_at: now,
        finished_at: null,
      };
      await store.insert(job);
      return job;
    },

    async get(id: string): Promise<Job> {
      const job = await store.get(id);
      if (!job) throw errors.notFound(`job ${id} not found`);
      return job;
    },

    async list(filter: JobFilter = {}, page: { limit?: number; offset?: number } = {}): Promise<JobList> {
      if (filter.status && !JOB_STATUSES.includes(filter.status)) throw errors.validation(`unknown job status "${filter.status}"`);
      const limit = Math.min(Math.max(page.limit ?? 50, 1), JOB_PAGE_MAX);
      return store.list(filter, { limit, offset: Math.max(page.offset ?? 0, 0) });
    },

    /** Puts a dead job back in the queue, due now, with its attempts reset. */
    async retry(id: string): Promise<Job> {
      const revived = await store.revive(id, deps.now().toISOString());
      if (revived) return revived;
      const job = await store.get(id);
      if (!job) throw errors.notFound(`job ${id} not found`);
      throw errors.conflict(`job ${id} is ${job.status}; only a dead job can be retried`);
    },
  };
}

export type JobQueue = ReturnType<typeof createJobQueue>;

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { JobRegistry } from './job.registry.js';
import { createJobStore, type JobStore } from './job.store.js';
import type { Job, JobHandler } from './job.types.js';

export interface WorkerDeps {
  db: Database;
  /** Shared with the queue in the same process; built from db when absent. */
  store?: JobStore;
  now: () => Date;
  logger: Logger;
  handlers: JobRegistry;
  /** Jobs run at once by this worker. */
  concurrency: number;
  /** How often an idle worker looks for due jobs; notify() wakes it sooner. */
  pollIntervalMs: number;
  /** How long a claim holds a job; past it the job's signal aborts and another worker may take the job over. */
  leaseMs: number;
  /** Names this worker in locked_by; unique per process by default. */
  workerId?: string;
  /** For the retry jitter; tests pin it. */
  random?: () => number;
}

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_CAP_MS = 600_000;

/**
 * Delay before retry number `attempt` (1 after the first failure): 1 s doubling up to 10 min, with "equal jitter"
 * (between half and all of that), so failures that happened together do not retry together.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(attempt - 1, 0));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

interface Running {
  job: Job;
  controller: AbortController;
  done: Promise<void>;
}

/** Claims due jobs and runs them through their handlers. `rampart worker` runs only this; `serve` runs it beside HTTP. */
export function createWorker(deps: WorkerDeps) {
  if (!Number.isInteger(deps.concurrency) || deps.concurrency < 1) throw new Error('worker concurrency must be at least 1');
  const store = deps.store ?? createJobStore(deps.db);
  const workerId = deps.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const log = deps.logger.child({ worker: workerId });
  const random = deps.random ?? Math.random;
  const running = new Set<Running>();
  const wake = createWake();
  let loop: Promise<void> | undefined;
  let stopping = false;

  const iso = (offsetMs = 0) => new Date(deps.now().getTime() + offsetMs).toISOString();
  const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err)) || 'job failed';

  async function claim(limit: number): Promise<Job[]> {
    const now = deps.now();
    return store.claim({
      workerId,
      now: now.toISOString(),
      lockedUntil: new Date(now.getTime() + deps.leaseMs).toISOString(),
      limit,
    });
  }

  /** Runs one claimed job and records its outcome; never throws. */
  function start(job: Job): Running {
    const controller = new AbortController();
    const entry: Running = { job, controller, done: Promise.resolve() };
    entry.done = execute(job, controller).finally(() => {
      running.delete(entry);
      wake.notify();
    });
    running.add(entry);
    return entry;
  }

  async function execute(job: Job, controller: AbortController): Promise<void> {
    const jobLog = log.child({ job_id: job.id, job_type: job.type, attempt: job.attempts, correlation_id: job.correlation_id });
    try {
      const handler = deps.handlers.get(job.type);
      if (!handler) return await bury(job, jobLog, `no handler is registered for job type "${job.type}"`);
      // A claim past max_attempts means earlier runs lost their lease (crashed worker): stop retrying a poison job.
      if (job.attempts > job.max_attempts) {
        return await bury(job, jobLog, `lease expired on the last of ${job.max_attempts} attempts`);
      }
      await runHandler(handler, job, controller, jobLog);
    } catch (err) {
      // Recording the outcome failed (database gone?): the lease will expire and another claim will retry.
      jobLog.error({ err }, 'could not record the job outcome');
    }
  }

  async function runHandler(handler: JobHandler, job: Job, controller: AbortController, jobLog: Logger) {
    const lease = setTimeout(() => controller.abort(new Error('job lease expired')), deps.leaseMs);
    lease.unref();
    let failure: unknown;
    try {
      jobLog.debug('job started');
      await handler(job, { signal: controller.signal, correlationId: job.correlation_id, logger: jobLog });
    } catch (err) {
      failure = err ?? new Error('job failed');
    } finally {
      clearTimeout(lease);
    }
    if (failure === undefined) {
      if (await store.succeed(job, iso())) jobLog.info('job succeeded');
      else jobLog.warn('job finished after its claim was lost (lease expired or worker stopped); outcome not recorded');
      return;
    }
    // stop() aborted it and hands the job back itself, without counting the attempt: recording the failure here
    // would race that release and could count it.
    if (controller.signal.reason instanceof WorkerStopping) return;
    const error = messageOf(failure);
    if (job.attempts >= job.max_attempts) return bury(job, jobLog, error, failure);
    const delay = retryDelayMs(job.attempts, random);
    if (await store.reschedule(job, iso(delay), error, iso())) {
      jobLog.warn({ err: failure, retry_in_ms: delay }, 'job failed; will retry');
    } else {
      jobLog.warn({ err: failure }, 'job failed after its claim was lost (lease expired or worker stopped); outcome not recorded');
    }
  }

  async function bury(job: Job, jobLog: Logger, error: string, err?: unknown) {
    if (await store.bury(job, error, iso())) jobLog.error({ err, last_error: error }, 'job is dead');
  }

  async function poll(): Promise<void> {
    while (!stopping) {
      const free = deps.concurrency - running.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const jobs = await claim(free);
          claimed = jobs.length;
          for (const job of jobs) start(job);
        } catch (err) {
          log.error({ err }, 'could not claim jobs');
        }
      }
      if (stopping) break;
      // A full batch suggests more jobs are waiting: claim again at once. Otherwise sleep until a job finishes,
      // notify() is called, or the poll interval passes.
      if (free > 0 && claimed === free) continue;
      await wake.wait(deps.pollIntervalMs);
    }
  }

  return {
    workerId,

    register<P>(type: string, handler: JobHandler<P>): void {
      deps.handlers.register(type, handler);
    },

    /** Starts polling; a second call does nothing. */
    start(): void {
      if (loop) return;
      stopping = false;
      log.info({ concurrency: deps.concurrency, types: deps.handlers.types() }, 'job worker started');
      loop = poll();
    },

    /** Wakes an idle worker to claim at once, such as after a job was enqueued. */
    notify(): void {
      wake.notify();
    },

    /** Claims one batch (up to concurrency), runs it to the end and returns how many jobs ran. For tests and tools. */
    async runOnce(): Promise<number> {
      const jobs = await claim(deps.concurrency);
      await Promise.all(jobs.map((job) => start(job).done));
      return jobs.length;
    },

    /**
     * Stops claiming, waits up to timeoutMs for running jobs, then aborts the rest and hands them back to the queue
     * (without counting the attempt) so another worker picks them up at once.
     */
    async stop(timeoutMs: number): Promise<void> {
      stopping = true;
      wake.notify();
      await loop;
      loop = undefined;
      await settleWithin([...running].map((r) => r.done), timeoutMs);
      const left = [...running];
      for (const r of left) r.controller.abort(new WorkerStopping());
      await Promise.all(
        left.map(async (r) => {
          const released = await store.release(r.job, 'interrupted: the worker stopped', iso()).catch(() => false);
          if (released) log.warn({ job_id: r.job.id, correlation_id: r.job.correlation_id }, 'job interrupted and requeued');
        }),
      );
      log.info({ interrupted: left.length }, 'job worker stopped');
    },
  };
}

export type Worker = ReturnType<typeof createWorker>;

/** A wakeable sleep: notify() ends the current wait, or the next one if nobody waits. */
function createWake() {
  let pending = false;
  let wakeUp: (() => void) | undefined;
  return {
    notify() {
      if (wakeUp) wakeUp();
      else pending = true;
    },
    wait(ms: number): Promise<void> {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wakeUp = undefined;
          resolve();
        }
        wakeUp = done;
      });
    },
  };
}

async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  if (promises.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** The abort reason stop() gives the jobs still running past its bound. */
class WorkerStopping extends Error {
  constructor() {
    super('worker stopping');
  }
}

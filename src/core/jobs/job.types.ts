import type { Logger } from '../logger.js';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'dead';

export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'succeeded', 'dead'];

/** One job as the queue and handlers see it. Timestamps are ISO 8601 UTC strings. */
export interface Job<P = unknown> {
  id: string;
  type: string;
  payload: P;
  status: JobStatus;
  /** Claims so far, the current one included while running. */
  attempts: number;
  max_attempts: number;
  /** When the job is due (next retry time after a failure). */
  run_at: string;
  /** The worker holding the job while running. */
  locked_by: string | null;
  /** When another worker may take over a running job. */
  locked_until: string | null;
  /** The last failure's message; kept after a later success, as history. */
  last_error: string | null;
  correlation_id: string | null;
  created_at: string;
  updated_at: string;
  /** When the job succeeded or went dead. */
  finished_at: string | null;
}

export interface JobContext {
  /** Aborted when the job's lease runs out or the worker stops before the job finishes. */
  signal: AbortSignal;
  correlationId: string | null;
  /** The worker's logger, bound to the job's id, type, attempt and correlation id. */
  logger: Logger;
}

/** Resolves on success; a throw is a failed attempt (retried with backoff until max_attempts, then dead). */
export type JobHandler<P = unknown> = (job: Job<P>, ctx: JobContext) => Promise<void>;

export interface EnqueueOptions {
  /** Not before this time; now when absent. */
  runAt?: Date;
  maxAttempts?: number;
  correlationId?: string | null;
}

export interface JobFilter {
  status?: JobStatus;
  type?: string;
  correlationId?: string;
}

export interface JobList {
  items: Job[];
  total: number;
}

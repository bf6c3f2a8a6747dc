import type { Database } from '../db/database.js';
import type { Job, JobFilter, JobList, JobStatus } from './job.types.js';

export interface JobRow extends Omit<Job, 'payload'> {
  /** JSON text when written; jsonb comes back parsed on PostgreSQL, so read it with dialect.fromJson. */
  payload: unknown;
}

declare module '../db/tables.js' {
  interface Tables {
    jobs: JobRow;
  }
}

/** Who holds a running job: only that claim may record its outcome, so a job taken over after its lease ran out
 *  cannot be finished twice by the worker that lost it. */
export type JobClaim = Pick<Job, 'id' | 'locked_by' | 'attempts'>;

export interface ClaimRequest {
  workerId: string;
  now: string;
  lockedUntil: string;
  limit: number;
}

export function createJobStore(db: Database) {
  const fromRow = (row: JobRow): Job => ({
    ...row,
    payload: db.dialect.fromJson(row.payload),
    attempts: Number(row.attempts),
    max_attempts: Number(row.max_attempts),
  });

  /** Updates a running job only while this claim still holds it; true when it did. */
  /** Ends a claim with an outcome, only while this worker still holds it (a lost lease records nothing). */
  async function endClaim(claim: JobClaim, now: string, outcome: Partial<JobRow>): Promise<boolean> {
    const result = await db.kysely
      .updateTable('jobs')
      .set({ ...outcome, locked_by: null, locked_until: null, updated_at: now })
      .where('id', '=', claim.id)
      .where('status', '=', 'running')
      .where('locked_by', '=', claim.locked_by)
      .where('attempts', '=', claim.attempts)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  return {
    /** Writes through the current unit of work, so the job commits or rolls back with the change that caused it. */
    async insert(job: Job): Promise<Job> {
      await db.kysely
        .insertInto('jobs')
        .values({ ...job, payload: db.dialect.toJson(job.payload) })
        .execute();
      return job;
    },

    async get(id: string): Promise<Job | undefined> {
      const row = await db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
      return row && fromRow(row);
    },

    /** Newest first. */
    async list(filter: JobFilter, page: { limit: number; offset: number }): Promise<JobList> {
      let base = db.kysely.selectFrom('jobs');
      if (filter.status) base = base.where('status', '=', filter.status);
      if (filter.type) base = base.where('type', '=', filter.type);
      if (filter.correlationId) base = base.where('correlation_id', '=', filter.correlationId);
      const rows = await base
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(page.limit)
        .offset(page.offset)
        .execute();
      const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
      return { items: rows.map(fromRow), total: Number(total) };
    },

    /**
     * Takes up to `limit` jobs that are due, or running with an expired lease, in one statement. On PostgreSQL the
     * candidate rows are locked FOR UPDATE SKIP LOCKED, so concurrent workers each get different rows without
     * waiting; the CTE is MATERIALIZED so the locking subquery runs exactly once. On SQLite the statement holds
     * the single write lock, which serializes claims.
     */
    async claim(req: ClaimRequest): Promise<Job[]> {
      const rows = await db.kysely
        .with(
          (wb) => wb('claimable').materialized(),
          (k) =>
            k
              .selectFrom('jobs')
              .select('id')
              .where((eb) =>
                eb.or([
                  eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', req.now)]),
                  eb.and([eb('status', '=', 'running'), eb('locked_until', '<', req.now)]),
                ]),
              )
              .orderBy('run_at')
              .orderBy('id')
              .limit(req.limit)
              .modifyEnd(db.dialect.skipLocked),
        )
        .updateTable('jobs')
        .set((eb) => ({
          status: 'running' as JobStatus,
          attempts: eb('attempts', '+', 1),
          locked_by: req.workerId,
          locked_until: req.lockedUntil,
          updated_at: req.now,
        }))
        .where('id', 'in', (eb) => eb.selectFrom('claimable').select('claimable.id'))
        .returningAll()
        .execute();
      return rows.map(fromRow).sort((a, b) => (a.run_at < b.run_at ? -1 : a.run_at > b.run_at ? 1 : 0));
    },

    succeed(claim: JobClaim, now: string): Promise<boolean> {
      return endClaim(claim, now, { status: 'succeeded', finished_at: now });
    },

    /** Back to the queue after a failed attempt, due again at runAt. */
    reschedule(claim: JobClaim, runAt: string, error: string, now: string): Promise<boolean> {
      return endClaim(claim, now, { status: 'queued', run_at: runAt, last_error: error });
    },

    /** Gives up on the job: dead until someone retries it. */
    bury(claim: JobClaim, error: string, now: string): Promise<boolean> {
      return endClaim(claim, now, { status: 'dead', last_error: error, finished_at: now });
    },

    /** Hands an interrupted job back to the queue without counting the attempt: the job did not fail. */
    release(claim: JobClaim, reason: string, now: string): Promise<boolean> {
      return endClaim(claim, now, { status: 'queued', attempts: claim.attempts - 1, run_at: now, last_error: reason });
    },

    /** Requeues a dead job with a fresh set of attempts; undefined when the job is missing or not dead. */
    async revive(id: string, now: string): Promise<Job | undefined> {
      const row = await db.kysely
        .updateTable('jobs')
        .set({ status: 'queued', attempts: 0, run_at: now, updated_at: now, finished_at: null })
        .where('id', '=', id)
        .where('status', '=', 'dead')
        .returningAll()
        .executeTakeFirst();
      return row && fromRow(row);
    },
  };
}

export type JobStore = ReturnType<typeof createJobStore>;

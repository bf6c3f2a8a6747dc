import { sql } from 'kysely';
import type { Database } from '../../../core/db/database.js';
import type { RuleStatus } from '../compliance/rule.types.js';
import { decodeCursor, encodeCursor } from './scan-cursor.js';
import type { FleetScanRunRow, ScanStatus } from './scans.tables.js';
import type { HostChangeAnnouncer } from '../common/host-changes.js';

export type ScanRun = FleetScanRunRow;

export interface ScanRunFilter {
  host_id?: string;
  status?: ScanStatus;
  cursor?: string;
  limit: number;
}

export type StatusCounts = Record<RuleStatus, number>;

/**
 * The scan_runs logbook: one row per scan, from queued to completed or failed. Every change of a run's status is
 * announced for its host: the host list shows whether a scan is queued or running.
 */
export function createScanRunStore(db: Database, changed: HostChangeAnnouncer) {
  const announce = (rows: { host_id: string }[]) => changed(rows.map((r) => r.host_id));
  const fromRow = (row: FleetScanRunRow): ScanRun => ({
    ...row,
    score: row.score === null ? null : Number(row.score),
    rules_pass: Number(row.rules_pass),
    rules_fail: Number(row.rules_fail),
    rules_skipped: Number(row.rules_skipped),
    rules_error: Number(row.rules_error),
    attempts: Number(row.attempts),
  });

  return {
    /** Inserts a queued run; a unique violation means the host already has an active one (the caller's 409). */
    async insert(run: ScanRun): Promise<void> {
      await db.kysely.insertInto('fleet_scan_runs').values(run).execute();
      await changed([run.host_id]);
    },

    async get(id: string): Promise<ScanRun | undefined> {
      const row = await db.kysely.selectFrom('fleet_scan_runs').selectAll().where('id', '=', id).executeTakeFirst();
      return row && fromRow(row);
    },

    async activeFor(hostId: string): Promise<ScanRun | undefined> {
      const row = await db.kysely
        .selectFrom('fleet_scan_runs')
        .selectAll()
        .where('host_id', '=', hostId)
        .where('status', 'in', ['queued', 'running'])
        .executeTakeFirst();
      return row && fromRow(row);
    },

    async setJob(id: string, jobId: string): Promise<void> {
      await db.kysely.updateTable('fleet_scan_runs').set({ job_id: jobId }).where('id', '=', id).execute();
    },

    /** Newest first, keyset-paged on (queued_at, id). */
    async list(filter: ScanRunFilter): Promise<{ items: ScanRun[]; next_cursor: string | null }> {
      let query = db.kysely.selectFrom('fleet_scan_runs').selectAll();
      if (filter.host_id) query = query.where('host_id', '=', filter.host_id);
      if (filter.status) query = query.where('status', '=', filter.status);
      if (filter.cursor) {
        const key = decodeCursor(filter.cursor);
        query = query.where((eb) =>
          eb.or([eb('queued_at', '<', key.at), eb.and([eb('queued_at', '=', key.at), eb('id', '<', key.id)])]),
        );
      }
      const rows = await query.orderBy('queued_at', 'desc').orderBy('id', 'desc').limit(filter.limit + 1).execute();
      const items = rows.slice(0, filter.limit).map(fromRow);
      const last = items.at(-1);
      return { items, next_cursor: rows.length > filter.limit && last ? encodeCursor({ at: last.queued_at, id: last.id }) : null };
    },

    /** Marks a run started by attempt `attempts` of its job. */
    async markRunning(id: string, now: string, attempts: number): Promise<void> {
      await db.kysely
        .updateTable('fleet_scan_runs')
        .set({ status: 'running', started_at: now, attempts, failure_reason: null })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .returning('host_id')
        .execute()
        .then(announce);
    },

    /**
     * Ends a queued or running scan as failed with the reason (a cancel); false when it had finished already. On
     * PostgreSQL the row lock orders it with a completion in flight (stillActive): one of the two wins.
     */
    async cancel(id: string, reason: string, now: string): Promise<boolean> {
      const rows = await db.kysely
        .updateTable('fleet_scan_runs')
        .set({ status: 'failed', failure_reason: reason, finished_at: now })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .returning('host_id')
        .execute();
      await announce(rows);
      return rows.length === 1;
    },

    /** Whether the run is still queued or running, holding its row until the caller's transaction ends (PostgreSQL). */
    async stillActive(id: string): Promise<boolean> {
      const result = await db.kysely
        .updateTable('fleet_scan_runs')
        .set({ status: 'running' })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Back to queued after a failed attempt that will be retried; the reason stays visible meanwhile. */
    async requeue(id: string, reason: string): Promise<void> {
      await db.kysely
        .updateTable('fleet_scan_runs')
        .set({ status: 'queued', failure_reason: reason })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .returning('host_id')
        .execute()
        .then(announce);
    },

    async markFailed(id: string, reason: string, now: string): Promise<void> {
      await db.kysely
        .updateTable('fleet_scan_runs')
        .set({ status: 'failed', failure_reason: reason, finished_at: now })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .returning('host_id')
        .execute()
        .then(announce);
    },

    async markCompleted(id: string, outcome: { counts: StatusCounts; score: number | null; policyVersion: string; now: string }): Promise<void> {
      await db.kysely
        .updateTable('fleet_scan_runs')
        .set({
          status: 'completed',
          finished_at: outcome.now,
          policy_version: outcome.policyVersion,
          rules_pass: outcome.counts.pass,
          rules_fail: outcome.counts.fail,
          rules_skipped: outcome.counts.skipped,
          rules_error: outcome.counts.error,
          score: outcome.score,
          failure_reason: null,
        })
        .where('id', '=', id)
        .returning('host_id')
        .execute()
        .then(announce); // with the host's compliance roll-up, written in the same transaction (record-scan.ts)
    },

    /** The score of the host's newest completed scan other than this one: what drift compares against. */
    async previousCompleted(hostId: string, exceptScanId: string): Promise<ScanRun | undefined> {
      const row = await db.kysely
        .selectFrom('fleet_scan_runs')
        .selectAll()
        .where('host_id', '=', hostId)
        .where('status', '=', 'completed')
        .where('id', '!=', exceptScanId)
        .orderBy('finished_at', 'desc')
        .orderBy('id', 'desc')
        .executeTakeFirst();
      return row && fromRow(row);
    },

    async queueDepth(): Promise<{ queued: number; running: number }> {
      const rows = await db.kysely
        .selectFrom('fleet_scan_runs')
        .select(['status', sql<number>`count(*)`.as('n')])
        .where('status', 'in', ['queued', 'running'])
        .groupBy('status')
        .execute();
      const of = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
      return { queued: of('queued'), running: of('running') };
    },

    /** Active scans of the given hosts, for the host list's scan_state. */
    async activeStates(hostIds: string[]): Promise<Map<string, ScanStatus>> {
      // Few hosts have an active scan: read them all rather than binding every id of a large page.
      const wanted = new Set(hostIds);
      if (wanted.size === 0) return new Map();
      const rows = await db.kysely.selectFrom('fleet_scan_runs').select(['host_id', 'status']).where('status', 'in', ['queued', 'running']).execute();
      return new Map(rows.filter((r) => wanted.has(r.host_id)).map((r) => [r.host_id, r.status]));
    },
  };
}

export type ScanRunStore = ReturnType<typeof createScanRunStore>;

import { sql } from 'kysely';
import type { Core } from '../../../core/index.js';
import { isRampartError } from '../../../core/errors.js';
import { rescanIntervalMinutes } from '../compliance-state/score.js';
import type { ScanConfig } from './scan-config.js';
import type { ScanService } from './scan.service.js';
import { hostChangeAnnouncer } from '../common/host-changes.js';

export interface SchedulerDeps {
  core: Core;
  scans: ScanService;
  scanConfig(): Promise<ScanConfig>;
}

/**
 * Scheduled scans: each tick queues scans of the hosts that are due (never scanned, or past next_scan_at, which the
 * last scan set from its band's interval), at most rate_limit per tick, skipping hosts in maintenance, hosts with a
 * scan already active, and everything while the scheduler is disabled or globally paused. Every node may run it: the
 * one-active-scan index turns a second node's duplicate into a skipped 409.
 */
export function createScanScheduler(deps: SchedulerDeps) {
  const { core } = deps;
  const db = core.db;
  const changed = hostChangeAnnouncer(core.events);

  /** Scans whose job died (its attempts used up, or a lease lost on the last one) can never finish: fail them. */
  async function failOrphans(): Promise<number> {
    const result = await db.kysely
      .updateTable('fleet_scan_runs')
      .set({ status: 'failed', finished_at: core.now().toISOString(), failure_reason: sql`coalesce(failure_reason, 'the scan job gave up')` })
      .where('status', 'in', ['queued', 'running'])
      .where('job_id', 'in', (eb) => eb.selectFrom('jobs').select('id').where('status', '=', 'dead'))
      .returning('host_id')
      .execute();
    await changed(result.map((r) => r.host_id));
    return result.length;
  }

  async function dueHosts(now: string, limit: number): Promise<{ id: string; hasRow: boolean }[]> {
    const rows = await db.kysely
      .selectFrom('fleet_hosts as h')
      .leftJoin('fleet_host_compliance as c', 'c.host_id', 'h.id')
      .select(['h.id', 'c.host_id as row_host'])
      .where('h.deleted_at', 'is', null)
      .where('h.maintenance_mode', '=', db.dialect.toBool(false) as never)
      .where((eb) => eb.or([eb('c.host_id', 'is', null), eb('c.next_scan_at', 'is', null), eb('c.next_scan_at', '<=', now)]))
      .where((eb) => eb.not(eb.exists(eb.selectFrom('fleet_scan_runs as r').select('r.id').whereRef('r.host_id', '=', 'h.id').where('r.status', 'in', ['queued', 'running']))))
      .orderBy(sql`case when c.next_scan_at is null then 0 else 1 end`)
      .orderBy('c.next_scan_at')
      .orderBy('h.check_priority')
      .orderBy('h.id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, hasRow: r.row_host !== null }));
  }

  /** Moves the host's next visit one interval on, so it is not queued again while this scan waits or runs. */
  async function advance(hostId: string, hasRow: boolean, config: ScanConfig) {
    const now = core.now();
    if (hasRow) {
      const row = await db.kysely.selectFrom('fleet_host_compliance').select('compliance_state').where('host_id', '=', hostId).executeTakeFirstOrThrow();
      const minutes = rescanIntervalMinutes(row.compliance_state, config);
      await db.kysely
        .updateTable('fleet_host_compliance')
        .set({ interval_minutes: minutes, next_scan_at: new Date(now.getTime() + minutes * 60_000).toISOString(), updated_at: now.toISOString() })
        .where('host_id', '=', hostId)
        .execute();
      return;
    }
    await db.kysely
      .insertInto('fleet_host_compliance')
      .values({
        host_id: hostId,
        latest_scan_id: null,
        last_scan_at: null,
        passing: 0,
        failing: 0,
        skipped: 0,
        error: 0,
        total: 0,
        critical_failing: 0,
        score: null,
        compliance_state: 'unknown',
        interval_minutes: config.unknown_mins,
        next_scan_at: new Date(now.getTime() + config.unknown_mins * 60_000).toISOString(),
        updated_at: now.toISOString(),
      })
      .onConflict((oc) => oc.column('host_id').doNothing())
      .execute();
  }

  /** One pass: returns how many scans it queued. */
  async function tick(): Promise<number> {
    await failOrphans();
    const config = await deps.scanConfig();
    if (!config.enabled || config.maintenance_global) return 0;
    let queued = 0;
    for (const host of await dueHosts(core.now().toISOString(), config.rate_limit)) {
      try {
        await db.transaction(async () => {
          await deps.scans.request(host.id, { trigger: 'scheduled', requestedBy: null, correlationId: null });
          await advance(host.id, host.hasRow, config);
        });
        queued += 1;
      } catch (err) {
        // Another node queued it first, or the host went away meanwhile: nothing to do this tick.
        if (!isRampartError(err) || (err.status !== 409 && err.status !== 404)) throw err;
      }
    }
    return queued;
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  return {
    tick,
    failOrphans,

    start(intervalMs: number) {
      timer = setInterval(() => {
        running = tick().catch((err) => core.logger.error({ err }, 'the scan scheduler tick failed'));
      }, intervalMs);
      timer.unref();
    },

    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type ScanScheduler = ReturnType<typeof createScanScheduler>;

import type { Core } from '../../../core/index.js';
import type { ConfigService } from '../config/config.service.js';
import { INTELLIGENCE_JOB } from './intelligence.jobs.js';

/** Collections spread over ±20% of the interval, so hosts added together do not stay in step. */
const JITTER = 0.2;

/**
 * Queues intelligence collection for hosts that are due (never collected, or their interval passed), at most
 * rate_limit per round, skipping hosts in maintenance and everything under maintenance_global. A host is claimed
 * by moving its next_due_at forward in the same transaction as the enqueue, so a host whose collection keeps
 * failing is tried once per interval (its job retries on its own), and two nodes never queue the same round.
 */
export function createIntelligenceScheduler(deps: { core: Core; config: Pick<ConfigService, 'get'>; random?: () => number }) {
  const { db } = deps.core;
  const random = deps.random ?? Math.random;

  async function claim(hostId: string, previous: string | null, next: string): Promise<boolean> {
    if (previous === null) {
      try {
        await db.kysely.insertInto('fleet_intelligence_schedule').values({ host_id: hostId, next_due_at: next }).execute();
        return true;
      } catch (err) {
        if (db.dialect.isUniqueViolation(err)) return false;
        throw err;
      }
    }
    const result = await db.kysely
      .updateTable('fleet_intelligence_schedule')
      .set({ next_due_at: next })
      .where('host_id', '=', hostId)
      .where('next_due_at', '=', previous)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  return {
    /** One round; returns how many collections it queued. */
    async tick(): Promise<number> {
      const config = await deps.config.get('intelligence');
      if (config.maintenance_global) return 0;
      const now = deps.core.now();
      const due = await db.kysely
        .selectFrom('fleet_hosts as h')
        .leftJoin('fleet_intelligence_schedule as s', 's.host_id', 'h.id')
        .select(['h.id', 's.next_due_at'])
        .where('h.deleted_at', 'is', null)
        .where('h.maintenance_mode', '=', db.dialect.toBool(false))
        .where((eb) => eb.or([eb('s.next_due_at', 'is', null), eb('s.next_due_at', '<=', now.toISOString())]))
        .orderBy('h.created_at')
        .limit(config.rate_limit)
        .execute();
      let queued = 0;
      for (const host of due) {
        const spread = 1 + (random() * 2 - 1) * JITTER;
        const next = new Date(now.getTime() + config.interval_sec * 1000 * spread).toISOString();
        const claimed = await db.transaction(async () => {
          if (!(await claim(host.id, host.next_due_at ?? null, next))) return false;
          await deps.core.jobs.queue.enqueue(INTELLIGENCE_JOB, { host_id: host.id });
          return true;
        });
        if (claimed) queued++;
      }
      return queued;
    },
  };
}

/** Runs rounds every intervalMs until stopped; a slow round makes the next one wait. */
export function startIntelligenceScheduler(scheduler: { tick(): Promise<number> }, opts: { intervalMs: number; logger: Core['logger'] }) {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = scheduler
      .tick()
      .catch((err) => opts.logger.warn({ err }, 'intelligence scheduling round failed'))
      .finally(() => (running = null));
  }, opts.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

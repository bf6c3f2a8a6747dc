import type { Database } from '../../core/db/database.js';
import type { Migrator } from '../../core/db/migrator.js';
import type { ReadinessCheck, ReadinessRegistry } from '../../core/readiness.js';

export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unreachable';
  pending_migrations: number;
}

/** Readiness with every condition named, as Neuwerk's /ready lists them. */
export interface DetailedReadiness extends Readiness {
  checks: ReadinessCheck[];
}

export function createHealthService(deps: { db: Database; migrator: Migrator; readiness?: ReadinessRegistry }) {
  async function dbConnected(): Promise<boolean> {
    try {
      await deps.db.ping();
      return true;
    } catch {
      return false;
    }
  }

  /** Ready means: the database answers and every migration this build knows is applied. */
  async function readiness(): Promise<Readiness> {
    if (!(await dbConnected())) return { ready: false, database: 'unreachable', pending_migrations: 0 };
    try {
      const status = await deps.migrator.status();
      const pending = status.pending.length;
      return { ready: pending === 0 && status.unknown.length === 0, database: 'ok', pending_migrations: pending };
    } catch {
      return { ready: false, database: 'unreachable', pending_migrations: 0 };
    }
  }

  return {
    dbConnected,
    readiness,
    /** The database and migration conditions, then those modules registered (the data plane and DNS proxy while they run). */
    async detailedReadiness(): Promise<DetailedReadiness> {
      const base = await readiness();
      const own: ReadinessCheck[] = [
        { name: 'database', ok: base.database === 'ok', detail: base.database === 'ok' ? null : 'database unreachable' },
        { name: 'migrations', ok: base.ready || base.database !== 'ok', detail: base.ready || base.database !== 'ok' ? null : `${base.pending_migrations} migration(s) pending or unknown` },
      ];
      const checks = [...own, ...(await (deps.readiness?.checks() ?? []))];
      return { ...base, ready: checks.every((c) => c.ok), checks };
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;

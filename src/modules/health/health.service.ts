import type { Database } from '../../core/db/database.js';
import type { Migrator } from '../../core/db/migrator.js';

export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unreachable';
  pending_migrations: number;
}

export function createHealthService(deps: { db: Database; migrator: Migrator }) {
  async function dbConnected(): Promise<boolean> {
    try {
      await deps.db.ping();
      return true;
    } catch {
      return false;
    }
  }

  return {
    dbConnected,
    /** Ready means: the database answers and every migration this build knows is applied. */
    async readiness(): Promise<Readiness> {
      if (!(await dbConnected())) return { ready: false, database: 'unreachable', pending_migrations: 0 };
      try {
        const status = await deps.migrator.status();
        const pending = status.pending.length;
        return { ready: pending === 0 && status.unknown.length === 0, database: 'ok', pending_migrations: pending };
      } catch {
        return { ready: false, database: 'unreachable', pending_migrations: 0 };
      }
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;

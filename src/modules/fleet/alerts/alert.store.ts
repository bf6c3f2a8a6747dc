import type { Database } from '../../../core/db/database.js';
import { olderThan, type Keyset } from '../common/keyset-cursor.js';
import { openStatePredicate } from './alerts.migrations.js';
import type { AlertSeverity, AlertState, FleetAlertRow } from './alerts.tables.js';

export interface AlertFilter {
  state?: AlertState;
  host_id?: string;
  severity?: AlertSeverity;
  /** Inclusive lower bound on occurred_at. */
  since?: string;
  /** Exclusive upper bound on occurred_at. */
  until?: string;
}

/** The fleet_alerts queries; callers own the transactions. */
export function createAlertStore(db: Database) {
  const k = () => db.kysely;
  return {
    get: (id: string) => k().selectFrom('fleet_alerts').selectAll().where('id', '=', id).executeTakeFirst(),

    /** The row, locked against concurrent transitions until the transaction ends (PostgreSQL; SQLite has one writer). */
    getForUpdate(id: string) {
      const query = k().selectFrom('fleet_alerts').selectAll().where('id', '=', id);
      return (db.dialect.name === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
    },

    openByKey: (dedupKey: string) =>
      k().selectFrom('fleet_alerts').selectAll().where('dedup_key', '=', dedupKey).where(openStatePredicate).executeTakeFirst(),

    /** Inserts unless an open row holds the key (the partial unique index); true when the row went in. */
    async insertIfNoneOpen(row: FleetAlertRow): Promise<boolean> {
      const inserted = await k()
        .insertInto('fleet_alerts')
        .values(row)
        .onConflict((oc) => oc.column('dedup_key').where(openStatePredicate).doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    update: (id: string, changes: Partial<FleetAlertRow>) => k().updateTable('fleet_alerts').set(changes).where('id', '=', id).execute(),

    /** Open alerts of these types on a host (auto-resolution). */
    openOnHost: (hostId: string, types: string[]) =>
      k().selectFrom('fleet_alerts').select('id').where('host_id', '=', hostId).where('alert_type', 'in', types).where(openStatePredicate).execute(),

    /** Silences whose until has passed. */
    expiredSilences: (now: string) =>
      k().selectFrom('fleet_alerts').select('id').where('state', '=', 'silenced').where('silenced_until', '<=', now).execute(),

    /** Newest first, limit + 1 rows so the caller can tell whether another page follows. */
    list(filter: AlertFilter, page: { limit: number; after?: Keyset }) {
      let query = k().selectFrom('fleet_alerts').selectAll();
      if (filter.state) query = query.where('state', '=', filter.state);
      if (filter.host_id) query = query.where('host_id', '=', filter.host_id);
      if (filter.severity) query = query.where('severity', '=', filter.severity);
      if (filter.since) query = query.where('occurred_at', '>=', filter.since);
      if (filter.until) query = query.where('occurred_at', '<', filter.until);
      if (page.after) query = query.where(olderThan('occurred_at', 'id', page.after));
      return query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(page.limit + 1).execute();
    },
  };
}

export type AlertStore = ReturnType<typeof createAlertStore>;

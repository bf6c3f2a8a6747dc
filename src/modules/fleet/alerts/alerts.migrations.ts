import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

/** States in which an alert is still open: raising its dedup key again touches it instead of adding a row. */
export const OPEN_STATES = ['active', 'acknowledged', 'silenced'] as const;
export const openStatePredicate = sql<boolean>`state in ('active', 'acknowledged', 'silenced')`;

export const alertMigrations: Migration[] = [
  {
    name: '0006_fleet_alerts',
    async up(db, d) {
      const { uuid, timestamp: ts, json } = d.types;
      await db.schema
        .createTable('fleet_alerts')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('dedup_key', 'text', (c) => c.notNull())
        .addColumn('alert_type', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('info', 'low', 'medium', 'high', 'critical')`))
        .addColumn('host_id', uuid, (c) => c.references('fleet_hosts.id').onDelete('set null'))
        .addColumn('rule_id', 'text')
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('tags', json, (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('active', 'acknowledged', 'silenced', 'resolved', 'dismissed')`))
        .addColumn('occurred_at', ts, (c) => c.notNull())
        .addColumn('acknowledged_by', 'text')
        .addColumn('acknowledged_at', ts)
        .addColumn('silenced_by', 'text')
        .addColumn('silenced_until', ts)
        .addColumn('resolved_by', 'text')
        .addColumn('resolved_at', ts)
        .addColumn('dismissed_by', 'text')
        .addColumn('dismissed_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      // The dedup gate lives in the database: one open row per key, whichever node raises it.
      await db.schema.createIndex('fleet_alerts_open_dedup').on('fleet_alerts').column('dedup_key').unique().where(openStatePredicate).execute();
      await db.schema.createIndex('fleet_alerts_keyset').on('fleet_alerts').columns(['occurred_at', 'id']).execute();
      await db.schema.createIndex('fleet_alerts_host').on('fleet_alerts').columns(['host_id', 'state']).execute();
      await db.schema.createIndex('fleet_alerts_silenced').on('fleet_alerts').column('silenced_until').where(sql<boolean>`state = 'silenced'`).execute();
    },
  },
];

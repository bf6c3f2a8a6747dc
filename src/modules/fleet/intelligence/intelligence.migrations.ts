import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

/**
 * Discovery facts (one system-info row per host), the latest intelligence snapshot per host with each category's
 * freshness, and the events diffing snapshots produced.
 */
export const intelligenceMigrations: Migration[] = [
  {
    name: '0003_fleet_intelligence',
    async up(db, d) {
      const { uuid, timestamp: ts, json } = d.types;
      await db.schema
        .createTable('fleet_system_info')
        .addColumn('host_id', uuid, (c) => c.primaryKey().references('fleet_hosts.id').onDelete('cascade'))
        .addColumn('facts', json, (c) => c.notNull())
        .addColumn('collected_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('fleet_intelligence_state')
        .addColumn('host_id', uuid, (c) => c.primaryKey().references('fleet_hosts.id').onDelete('cascade'))
        .addColumn('snapshot', json, (c) => c.notNull())
        .addColumn('category_freshness', json, (c) => c.notNull())
        .addColumn('collected_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('fleet_intelligence_events')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('host_id', uuid, (c) => c.notNull().references('fleet_hosts.id').onDelete('cascade'))
        .addColumn('event_code', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('info', 'low', 'medium', 'high', 'critical')`))
        .addColumn('detail', json, (c) => c.notNull())
        .addColumn('occurred_at', ts, (c) => c.notNull())
        .addColumn('detected_at', ts, (c) => c.notNull())
        .addColumn('correlation_id', 'text')
        .execute();
      // Newest first, keyset (occurred_at, id): the list's order, alone and per host.
      await db.schema.createIndex('fleet_intelligence_events_time').on('fleet_intelligence_events').columns(['occurred_at', 'id']).execute();
      await db.schema
        .createIndex('fleet_intelligence_events_host_time')
        .on('fleet_intelligence_events')
        .columns(['host_id', 'occurred_at', 'id'])
        .execute();
    },
  },
];

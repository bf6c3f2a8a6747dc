import type { Migration } from '../../../core/db/migrator.js';

/**
 * Threat intelligence: silences (shared by every node), and each baseline feed's last good indicators with its
 * refresh status, so a restart matches at once instead of waiting for the next download. The settings live in
 * egress_settings under 'threat_intel'.
 */
export const threatMigrations: Migration[] = [
  {
    name: '0004_threat_intel',
    async up(db, d) {
      const { uuid, timestamp: ts, json, bigint } = d.types;
      await db.schema
        .createTable('egress_threat_silences')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('indicator_type', 'text')
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('created_by', 'text')
        // Listing order: Neuwerk lists silences in the order they were added.
        .addColumn('seq', bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('egress_threat_feeds')
        .addColumn('feed', 'text', (c) => c.primaryKey())
        .addColumn('indicators', json, (c) => c.notNull())
        .addColumn('status', json, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
  },
];

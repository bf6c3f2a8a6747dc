import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

export const notificationMigrations: Migration[] = [
  {
    name: '0007_fleet_notification_channels',
    async up(db, d) {
      const { uuid, timestamp: ts, json, boolean: bool } = d.types;
      const yes = d.name === 'postgres' ? sql`true` : sql`1`;
      await db.schema
        .createTable('fleet_notification_channels')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('webhook', 'slack', 'email')`))
        .addColumn('enabled', bool, (c) => c.notNull().defaultTo(yes))
        .addColumn('tag_filter', json, (c) => c.notNull())
        .addColumn('url_sealed', 'text')
        .addColumn('target_hint', 'text', (c) => c.notNull())
        .addColumn('recipients', json)
        .addColumn('secret_sealed', 'text')
        .addColumn('token_sealed', 'text')
        .addColumn('created_by', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('last_delivery_at', ts)
        .addColumn('last_error', 'text')
        .addCheckConstraint('fleet_notification_channels_target', sql`(kind = 'email') = (url_sealed is null) and (kind = 'email') = (recipients is not null)`)
        .execute();
    },
  },
];

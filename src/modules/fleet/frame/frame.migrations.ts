import type { Migration } from '../../../core/db/migrator.js';

/** The notification feed and the UI preferences (frame.tables.ts). Numbered high to stay clear of the other parts. */
export const frameMigrations: Migration[] = [
  {
    name: '0009_frame_notifications_preferences',
    async up(db, d) {
      const { uuid, timestamp: ts, json } = d.types;
      await db.schema
        .createTable('fleet_notifications')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('user_id', uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('body', 'text')
        .addColumn('link', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('read_at', ts)
        .execute();
      await db.schema.createIndex('fleet_notifications_user_time').on('fleet_notifications').columns(['user_id', 'created_at']).execute();
      await db.schema
        .createTable('fleet_user_preferences')
        .addColumn('user_id', uuid, (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('preferences', json, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
  },
];

import { sql } from 'kysely';
import type { Migration } from '../db/migrator.js';

export const mailMigrations: Migration[] = [
  {
    name: '0001_mail_outbox',
    async up(db, d) {
      await db.schema
        .createTable('mail_outbox')
        .addColumn('id', d.types.uuid, (c) => c.primaryKey())
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('body_sealed', 'text', (c) => c.notNull())
        .addColumn('transport', 'text', (c) => c.notNull().check(sql`transport in ('smtp', 'outbox')`))
        .addColumn('created_at', d.types.timestamp, (c) => c.notNull())
        .addColumn('sent_at', d.types.timestamp)
        .addColumn('error', 'text')
        .execute();
      await db.schema.createIndex('mail_outbox_created').on('mail_outbox').columns(['created_at', 'id']).execute();
    },
  },
];

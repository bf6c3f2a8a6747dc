import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

export const openExceptionPredicate = sql<boolean>`status in ('requested', 'approved')`;

export const exceptionMigrations: Migration[] = [
  {
    name: '0008_fleet_exceptions',
    async up(db, d) {
      const { uuid, timestamp: ts } = d.types;
      await db.schema
        .createTable('fleet_exceptions')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('host_id', uuid, (c) => c.notNull().references('fleet_hosts.id').onDelete('cascade'))
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('requested', 'approved', 'rejected', 'revoked', 'expired')`))
        .addColumn('justification', 'text', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('requested_at', ts, (c) => c.notNull())
        .addColumn('reviewed_by', 'text')
        .addColumn('reviewed_at', ts)
        .addColumn('review_comment', 'text')
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('revoked_by', 'text')
        .addColumn('revoked_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      // One open (requested or approved) exception per host and rule.
      await db.schema.createIndex('fleet_exceptions_open').on('fleet_exceptions').columns(['host_id', 'rule_id']).unique().where(openExceptionPredicate).execute();
      await db.schema.createIndex('fleet_exceptions_status').on('fleet_exceptions').columns(['status', 'created_at']).execute();
    },
  },
];

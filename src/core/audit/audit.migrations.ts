import { sql } from 'kysely';
import type { Migration } from '../db/migrator.js';

export const auditMigrations: Migration[] = [
  {
    name: '0001_audit_events',
    async up(db, d) {
      await db.schema
        .createTable('audit_events')
        .addColumn('id', d.types.uuid, (c) => c.primaryKey())
        .addColumn('occurred_at', d.types.timestamp, (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('actor_name', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('resource_type', 'text')
        .addColumn('resource_id', 'text')
        .addColumn('result', 'text', (c) => c.notNull().check(sql`result in ('success', 'failure', 'denied')`))
        .addColumn('client_ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('correlation_id', 'text')
        .addColumn('details', d.types.json, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_events_time').on('audit_events').columns(['occurred_at', 'id']).execute();
      await db.schema.createIndex('audit_events_action').on('audit_events').columns(['action', 'occurred_at']).execute();
      await db.schema.createIndex('audit_events_correlation').on('audit_events').column('correlation_id').execute();
      // Append-only, enforced by the database itself, not only by the absence of an update method.
      if (d.name === 'postgres') {
        await sql`create function audit_events_append_only() returns trigger language plpgsql as $$
          begin raise exception 'audit_events is append-only'; end $$`.execute(db);
        await sql`create trigger audit_events_no_change before update or delete on audit_events
          for each row execute function audit_events_append_only()`.execute(db);
      } else {
        for (const op of ['update', 'delete']) {
          await sql.raw(`create trigger audit_events_no_${op} before ${op} on audit_events
            begin select raise(abort, 'audit_events is append-only'); end`).execute(db);
        }
      }
    },
  },
];

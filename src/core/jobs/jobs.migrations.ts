import { sql } from 'kysely';
import type { Migration } from '../db/migrator.js';

export const jobsMigrations: Migration[] = [
  {
    name: '0001_jobs',
    async up(db, d) {
      await db.schema
        .createTable('jobs')
        .addColumn('id', d.types.uuid, (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('payload', d.types.json, (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'dead')`),
        )
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull().check(sql`max_attempts >= 1`))
        .addColumn('run_at', d.types.timestamp, (c) => c.notNull())
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', d.types.timestamp)
        .addColumn('last_error', 'text')
        .addColumn('correlation_id', 'text')
        .addColumn('created_at', d.types.timestamp, (c) => c.notNull())
        .addColumn('updated_at', d.types.timestamp, (c) => c.notNull())
        .addColumn('finished_at', d.types.timestamp)
        .execute();
      // The claim query scans queued jobs that are due and running jobs whose lease ran out, oldest first.
      await db.schema.createIndex('jobs_claim').on('jobs').columns(['status', 'run_at']).execute();
      await db.schema.createIndex('jobs_created').on('jobs').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('jobs_correlation').on('jobs').column('correlation_id').execute();
    },
  },
];

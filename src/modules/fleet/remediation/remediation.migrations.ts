import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

export const remediationMigrations: Migration[] = [
  {
    name: '0009_fleet_remediation',
    async up(db, d) {
      const { uuid, timestamp: ts, json } = d.types;
      await db.schema
        .createTable('fleet_remediation_requests')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('host_id', uuid, (c) => c.notNull().references('fleet_hosts.id').onDelete('cascade'))
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('pending_approval', 'approved', 'rejected', 'executing', 'executed', 'failed', 'partially_applied', 'rolled_back')`),
        )
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('request_comment', 'text')
        .addColumn('reviewed_by', 'text')
        .addColumn('reviewed_at', ts)
        .addColumn('review_comment', 'text')
        .addColumn('plan', json, (c) => c.notNull())
        .addColumn('journal', json, (c) => c.notNull())
        .addColumn('failure_reason', 'text')
        .addColumn('executed_by', 'text')
        .addColumn('executed_at', ts)
        .addColumn('rolled_back_by', 'text')
        .addColumn('rolled_back_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('fleet_remediation_keyset').on('fleet_remediation_requests').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('fleet_remediation_host').on('fleet_remediation_requests').columns(['host_id', 'status']).execute();
    },
  },
];

import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

/**
 * The audit, SIEM and operations part's tables (0040-0049). The events themselves are core/audit's audit_events:
 * this part keeps only where each connector got to, its delivery log, and the incident playbook runs.
 */
export const auditPartMigrations: Migration[] = [
  {
    name: '0040_access_siem_connectors',
    async up(db, d) {
      const { uuid, timestamp: ts, json, boolean } = d.types;
      await db.schema
        .createTable('access_siem_connectors')
        .addColumn('tenant_id', uuid, (c) => c.primaryKey())
        .addColumn('enabled', boolean, (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('syslog', 'webhook')`))
        // Everything but the webhook secret: target, filters.
        .addColumn('config', json, (c) => c.notNull())
        .addColumn('secret_sealed', 'text')
        // The last event forwarded (keyset over the trail's occurred_at, id).
        .addColumn('cursor_t', 'text')
        .addColumn('cursor_id', 'text')
        // The forwarding job in flight, so one runs at a time per connector.
        .addColumn('job_id', 'text')
        .addColumn('last_success_at', ts)
        .addColumn('last_error', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('access_siem_deliveries')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('job_id', 'text')
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('forward', 'test')`))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('delivered', 'failed')`))
        .addColumn('http_status', 'integer')
        .addColumn('error', 'text')
        .addColumn('events', 'integer', (c) => c.notNull())
        .addColumn('first_event_id', 'text')
        .addColumn('last_event_id', 'text')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      // Events gateways reported while a connector was enabled, in arrival order: their times are the gateway's, so
      // a walk of the trail by time would pass over those that arrive late.
      await db.schema
        .createTable('access_siem_outbox')
        .addColumn('seq', d.name === 'postgres' ? 'bigserial' : 'integer', (c) => (d.name === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('event_id', uuid, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_siem_deliveries_time').on('access_siem_deliveries').columns(['tenant_id', 'created_at']).execute();
    },
  },
  {
    name: '0041_access_ops_playbook_runs',
    async up(db, d) {
      const { uuid, timestamp: ts, json, boolean } = d.types;
      await db.schema
        .createTable('access_ops_playbook_runs')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('playbook', 'text', (c) => c.notNull())
        .addColumn('target', json, (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('dry_run', boolean, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('planned', 'queued', 'running', 'succeeded', 'failed')`))
        .addColumn('steps', json, (c) => c.notNull())
        .addColumn('job_id', 'text')
        .addColumn('requested_by', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('finished_at', ts)
        .execute();
      await db.schema.createIndex('access_ops_playbook_runs_time').on('access_ops_playbook_runs').columns(['tenant_id', 'created_at']).execute();
    },
  },
  {
    name: '0042_access_ops_retention',
    async up(db, d) {
      const { uuid, timestamp: ts, json } = d.types;
      // One row per tenant: when the retention job last pruned, what it removed, and the job in flight.
      await db.schema
        .createTable('access_ops_retention')
        .addColumn('tenant_id', uuid, (c) => c.primaryKey())
        .addColumn('last_prune_at', ts)
        .addColumn('last_result', json)
        .addColumn('job_id', 'text')
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
  },
];

import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

/**
 * Scan runs, their per-rule results with evidence stored once per distinct body, the current state of each rule
 * on each host with its change log, the per-host roll-up and schedule, daily snapshots for trends, and the lock
 * rows that keep one scan per host at a time across nodes.
 */
export const scanMigrations: Migration[] = [
  {
    name: '0005_fleet_scans',
    async up(db, d) {
      const { uuid, timestamp: ts, json } = d.types;
      const real = d.name === 'postgres' ? 'double precision' : 'real';
      const hostRef = (c: any) => c.notNull().references('fleet_hosts.id').onDelete('cascade');

      await db.schema
        .createTable('fleet_scan_runs')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('host_id', uuid, hostRef)
        .addColumn('job_id', uuid)
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('queued', 'running', 'completed', 'failed')`))
        .addColumn('trigger_source', 'text', (c) => c.notNull().check(sql`trigger_source in ('on_demand', 'scheduled')`))
        .addColumn('requested_by', uuid, (c) => c.references('users.id').onDelete('set null'))
        .addColumn('framework', 'text')
        .addColumn('queued_at', ts, (c) => c.notNull())
        .addColumn('started_at', ts)
        .addColumn('finished_at', ts)
        .addColumn('policy_version', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('rules_pass', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('rules_fail', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('rules_skipped', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('rules_error', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('score', real)
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failure_reason', 'text')
        .addColumn('correlation_id', 'text')
        .execute();
      // At most one queued or running scan per host: the database settles two requests (or nodes) racing.
      await db.schema
        .createIndex('fleet_scan_runs_one_active')
        .on('fleet_scan_runs')
        .column('host_id')
        .unique()
        .where(sql<boolean>`status in ('queued', 'running')`)
        .execute();
      await db.schema.createIndex('fleet_scan_runs_host').on('fleet_scan_runs').columns(['host_id', 'queued_at', 'id']).execute();
      await db.schema.createIndex('fleet_scan_runs_queued').on('fleet_scan_runs').columns(['queued_at', 'id']).execute();
      await db.schema.createIndex('fleet_scan_runs_status').on('fleet_scan_runs').column('status').execute();

      await db.schema
        .createTable('fleet_scan_evidence')
        .addColumn('sha256', 'text', (c) => c.primaryKey())
        .addColumn('body', json, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('fleet_scan_results')
        .addColumn('scan_id', uuid, (c) => c.notNull().references('fleet_scan_runs.id').onDelete('cascade'))
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('host_id', uuid, hostRef)
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('framework_refs', json, (c) => c.notNull())
        .addColumn('skip_reason', 'text')
        .addColumn('evidence_sha256', 'text', (c) => c.references('fleet_scan_evidence.sha256'))
        .addPrimaryKeyConstraint('fleet_scan_results_pk', ['scan_id', 'rule_id'])
        .execute();

      await db.schema
        .createTable('fleet_host_rule_state')
        .addColumn('host_id', uuid, hostRef)
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('current_status', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('framework_refs', json, (c) => c.notNull())
        .addColumn('framework_keys', 'text', (c) => c.notNull())
        .addColumn('last_scan_id', uuid, (c) => c.notNull())
        .addColumn('first_seen_at', ts, (c) => c.notNull())
        .addColumn('last_checked_at', ts, (c) => c.notNull())
        .addColumn('last_changed_at', ts, (c) => c.notNull())
        .addColumn('check_count', 'integer', (c) => c.notNull().defaultTo(1))
        .addPrimaryKeyConstraint('fleet_host_rule_state_pk', ['host_id', 'rule_id'])
        .execute();
      // Top failing rules and hosts count failing rows by rule and by host.
      await db.schema.createIndex('fleet_host_rule_state_status').on('fleet_host_rule_state').columns(['current_status', 'rule_id']).execute();

      await db.schema
        .createTable('fleet_compliance_transactions')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('host_id', uuid, hostRef)
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('scan_id', uuid, (c) => c.notNull())
        .addColumn('change_kind', 'text', (c) => c.notNull().check(sql`change_kind in ('first_seen', 'state_changed', 'severity_changed')`))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('previous_status', 'text')
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('previous_severity', 'text')
        .addColumn('occurred_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('fleet_compliance_transactions_time').on('fleet_compliance_transactions').columns(['occurred_at', 'id']).execute();
      await db.schema.createIndex('fleet_compliance_transactions_host').on('fleet_compliance_transactions').columns(['host_id', 'occurred_at']).execute();

      await db.schema
        .createTable('fleet_host_compliance')
        .addColumn('host_id', uuid, (c) => c.primaryKey().references('fleet_hosts.id').onDelete('cascade'))
        .addColumn('latest_scan_id', uuid)
        .addColumn('last_scan_at', ts)
        .addColumn('passing', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failing', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('error', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('critical_failing', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('score', real)
        .addColumn('compliance_state', 'text', (c) => c.notNull().defaultTo('unknown'))
        .addColumn('interval_minutes', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_scan_at', ts)
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('fleet_host_compliance_due').on('fleet_host_compliance').column('next_scan_at').execute();

      await db.schema
        .createTable('fleet_compliance_snapshots')
        .addColumn('host_id', uuid, hostRef)
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('score', real)
        .addColumn('passing', 'integer', (c) => c.notNull())
        .addColumn('failing', 'integer', (c) => c.notNull())
        .addColumn('total', 'integer', (c) => c.notNull())
        .addColumn('critical_failing', 'integer', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('fleet_compliance_snapshots_pk', ['host_id', 'day'])
        .execute();
      await db.schema.createIndex('fleet_compliance_snapshots_day').on('fleet_compliance_snapshots').column('day').execute();

      await db.schema
        .createTable('fleet_scan_locks')
        .addColumn('host_id', uuid, (c) => c.primaryKey().references('fleet_hosts.id').onDelete('cascade'))
        .addColumn('scan_id', uuid, (c) => c.notNull())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('locked_until', ts, (c) => c.notNull())
        .execute();
    },
  },
];

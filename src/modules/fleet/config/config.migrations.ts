import type { Migration } from '../../../core/db/migrator.js';

/**
 * System configs (one row per section, JSON) and the installed license (one row), plus host liveness: a current row
 * per host with its layer counters, and the monitoring history of every probe.
 */
export const configMigrations: Migration[] = [
  {
    name: '0004_fleet_config_license',
    async up(db, d) {
      const { timestamp: ts, json } = d.types;
      await db.schema
        .createTable('fleet_settings')
        .addColumn('section', 'text', (c) => c.primaryKey())
        .addColumn('value', json, (c) => c.notNull())
        .addColumn('updated_by', 'text')
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('fleet_license')
        .addColumn('slot', 'text', (c) => c.primaryKey())
        .addColumn('token', 'text', (c) => c.notNull())
        .addColumn('installed_by', 'text')
        .addColumn('installed_at', ts, (c) => c.notNull())
        .execute();
    },
  },
  {
    name: '0004_fleet_liveness',
    async up(db, d) {
      const { uuid, timestamp: ts } = d.types;
      await db.schema
        .createTable('fleet_host_liveness')
        .addColumn('host_id', uuid, (c) => c.primaryKey().references('fleet_hosts.id').onDelete('cascade'))
        .addColumn('monitoring_state', 'text', (c) => c.notNull())
        .addColumn('reachability_status', 'text', (c) => c.notNull())
        .addColumn('icmp_failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('ssh_failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('privilege_failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('icmp_successes', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('ssh_successes', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('privilege_successes', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('pass_streak', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('privilege', 'text')
        .addColumn('last_response_ms', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('last_error_type', 'text')
        .addColumn('last_probe_at', ts)
        .addColumn('state_changed_at', ts)
        .addColumn('next_probe_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('fleet_host_liveness_due').on('fleet_host_liveness').column('next_probe_at').execute();

      await db.schema
        .createTable('fleet_monitoring_history')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('host_id', uuid, (c) => c.notNull().references('fleet_hosts.id').onDelete('cascade'))
        .addColumn('checked_at', ts, (c) => c.notNull())
        .addColumn('monitoring_state', 'text', (c) => c.notNull())
        .addColumn('previous_state', 'text', (c) => c.notNull())
        .addColumn('reachability_status', 'text', (c) => c.notNull())
        .addColumn('icmp_ok', 'integer')
        .addColumn('ssh_ok', 'integer')
        .addColumn('privilege_ok', 'integer')
        .addColumn('response_ms', 'integer')
        .addColumn('error', 'text')
        .addColumn('error_type', 'text')
        .execute();
      await db.schema.createIndex('fleet_monitoring_history_host').on('fleet_monitoring_history').columns(['host_id', 'checked_at']).execute();
    },
  },
];

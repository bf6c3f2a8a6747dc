import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

/** The gateways part's tables (0020-0029). No foreign keys into other parts' tables: devices are reached by hook. */
export const gatewayMigrations: Migration[] = [
  {
    name: '0020_access_pools_gateways',
    async up(db, d) {
      const { uuid, timestamp: ts, json, bigint } = d.types;
      await db.schema
        .createTable('access_gateway_pools')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('selection', 'text', (c) => c.notNull().check(sql`selection in ('latency', 'round_robin', 'sticky')`))
        .addColumn('destinations', json, (c) => c.notNull())
        .addColumn('min_healthy', 'integer', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('canary', 'stable')`))
        .addColumn('listen_port', 'integer', (c) => c.notNull())
        .addColumn('mtu', 'integer', (c) => c.notNull())
        .addColumn('dns', json, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_gateway_pools_name').on('access_gateway_pools').columns(['tenant_id', 'name']).unique().execute();

      await db.schema
        .createTable('access_gateways')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('pool_id', uuid, (c) => c.notNull().references('access_gateway_pools.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('admission_url', 'text')
        .addColumn('reported_status', 'text', (c) => c.notNull().check(sql`reported_status in ('ok', 'degraded')`))
        .addColumn('version', 'text')
        .addColumn('max_sessions', 'integer')
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('token_prefix', 'text', (c) => c.notNull())
        .addColumn('enrollment_token_id', 'text', (c) => c.notNull())
        .addColumn('last_heartbeat_at', ts)
        .addColumn('last_window_end', ts)
        .addColumn('active_sessions', 'integer', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_gateways_pool').on('access_gateways').columns(['pool_id']).execute();

      // One change serial per tenant: every ACCESS_CHANGED bumps it, gateways watch it and re-pull past it.
      await db.schema
        .createTable('access_runtime_serials')
        .addColumn('tenant_id', uuid, (c) => c.primaryKey())
        .addColumn('serial', bigint, (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('changed_at', ts, (c) => c.notNull())
        .execute();
    },
  },
  {
    name: '0021_access_sessions_metering',
    async up(db, d) {
      const { uuid, timestamp: ts, bigint, boolean } = d.types;
      await db.schema
        .createTable('access_sessions')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('device_id', uuid, (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('gateway_id', uuid, (c) => c.notNull().references('access_gateways.id').onDelete('cascade'))
        .addColumn('pool_id', uuid, (c) => c.notNull())
        .addColumn('client_ip', 'text')
        .addColumn('overlay_ip', 'text')
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('active', 'closed')`))
        .addColumn('started_at', ts, (c) => c.notNull())
        .addColumn('last_seen_at', ts, (c) => c.notNull())
        .addColumn('bytes_rx', bigint, (c) => c.notNull())
        .addColumn('bytes_tx', bigint, (c) => c.notNull())
        .addColumn('closed_reason', 'text')
        .addColumn('closed_at', ts)
        // What the gateway last said: the session was still up in its newest metering window.
        .addColumn('reported_active', boolean, (c) => c.notNull())
        .addColumn('rtt_ms', 'real')
        .addColumn('loss_pct', 'real')
        .addColumn('telemetry_at', ts)
        .execute();
      await db.schema.createIndex('access_sessions_device').on('access_sessions').columns(['device_id', 'state']).execute();
      await db.schema.createIndex('access_sessions_state').on('access_sessions').columns(['tenant_id', 'state', 'last_seen_at']).execute();

      // A window a gateway reported, so a retried report is recorded once.
      await db.schema
        .createTable('access_metering_windows')
        .addColumn('gateway_id', uuid, (c) => c.notNull().references('access_gateways.id').onDelete('cascade'))
        .addColumn('window_start', ts, (c) => c.notNull())
        .addColumn('window_end', ts, (c) => c.notNull())
        .addColumn('active_sessions', 'integer', (c) => c.notNull())
        .addColumn('session_count', 'integer', (c) => c.notNull())
        .addColumn('received_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('access_metering_windows_pk', ['gateway_id', 'window_start'])
        .execute();
    },
  },
  {
    // Usage per month: each metering window's bytes count in the month the window ended, so a session that spans
    // months is split where its traffic was (its totals in access_sessions would count it in every month it overlaps).
    name: '0052_access_session_usage',
    async up(db, d) {
      const { uuid, bigint } = d.types;
      await db.schema
        .createTable('access_session_usage')
        .addColumn('session_id', uuid, (c) => c.notNull().references('access_sessions.id').onDelete('cascade'))
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('period', 'text', (c) => c.notNull())
        .addColumn('bytes_rx', bigint, (c) => c.notNull())
        .addColumn('bytes_tx', bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('access_session_usage_pk', ['session_id', 'period'])
        .execute();
      await db.schema.createIndex('access_session_usage_tenant').on('access_session_usage').columns(['tenant_id', 'period']).execute();
      // Sessions metered before: their windows are not kept, so their bytes count in the month they were last seen.
      const rows = (await db.selectFrom('access_sessions' as never)
        .select(['id', 'tenant_id', 'last_seen_at', 'bytes_rx', 'bytes_tx'] as never[])
        .execute()) as { id: string; tenant_id: string; last_seen_at: string | Date; bytes_rx: number | string; bytes_tx: number | string }[];
      const metered = rows.filter((r) => Number(r.bytes_rx) > 0 || Number(r.bytes_tx) > 0).map((r) => ({
        session_id: r.id, tenant_id: r.tenant_id, period: new Date(r.last_seen_at).toISOString().slice(0, 7), bytes_rx: Number(r.bytes_rx), bytes_tx: Number(r.bytes_tx),
      }));
      for (let i = 0; i < metered.length; i += 500) await db.insertInto('access_session_usage' as never).values(metered.slice(i, i + 500) as never).execute();
    },
  },
];

import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';
import { DEFAULT_TENANT_ID } from '../access.types.js';

/**
 * The tenants part's tables (0030-0039): tenants and their administrators, entitlement alerts, directory sync; and
 * (0051) what came after: the administrators assigned before users had tenants become their tenant's users.
 */
export const tenantMigrations: Migration[] = [
  {
    name: '0030_access_tenant_tables',
    async up(db, d) {
      const { uuid, timestamp: ts, json } = d.types;
      await db.schema
        .createTable('access_tenants')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'suspended', 'deleted')`))
        .addColumn('plan', 'text')
        .addColumn('overrides', json, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('suspended_at', ts)
        .addColumn('deleted_at', ts)
        .execute();
      const at = new Date().toISOString();
      await db.insertInto('access_tenants' as never).values({
        id: DEFAULT_TENANT_ID, name: 'Default', slug: 'default', status: 'active', plan: null, overrides: d.toJson({}), created_at: at, updated_at: at,
        suspended_at: null, deleted_at: null,
      } as never).execute();
      await db.schema
        .createTable('access_tenant_principals')
        .addColumn('principal', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull().references('access_tenants.id'))
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_tenant_principals_tenant').on('access_tenant_principals').columns(['tenant_id']).execute();
    },
  },
  {
    name: '0031_access_license_alerts',
    async up(db, d) {
      const { uuid, timestamp: ts } = d.types;
      await db.schema
        .createTable('access_entitlement_alerts')
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('approaching', 'exceeded')`))
        .addColumn('since', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('access_entitlement_alerts_pk', ['tenant_id', 'metric', 'kind'])
        .execute();
    },
  },
  {
    name: '0032_access_dirsync_tables',
    async up(db, d) {
      const { uuid, timestamp: ts, json, boolean } = d.types;
      await db.schema
        .createTable('access_dirsync_runs')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('full_sync', boolean, (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('started_at', ts, (c) => c.notNull())
        .addColumn('finished_at', ts)
        .addColumn('result', 'text', (c) => c.notNull().check(sql`result in ('running', 'success', 'failure')`))
        .addColumn('counts', json, (c) => c.notNull())
        .addColumn('errors', json, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_dirsync_runs_tenant').on('access_dirsync_runs').columns(['tenant_id', 'created_at']).execute();
      await db.schema
        .createTable('access_dirsync_links')
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('user', 'group')`))
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('local_id', 'text', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('access_dirsync_links_pk', ['tenant_id', 'source', 'kind', 'external_id'])
        .execute();
      await db.schema
        .createTable('access_dirsync_keycloak')
        .addColumn('tenant_id', uuid, (c) => c.primaryKey())
        .addColumn('base_url', 'text', (c) => c.notNull())
        .addColumn('realm', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('client_secret', 'text', (c) => c.notNull())
        .addColumn('ca_pem', 'text')
        .addColumn('full_sync', boolean, (c) => c.notNull())
        .addColumn('interval_minutes', 'integer', (c) => c.notNull())
        .addColumn('next_run_at', ts)
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
  },
  {
    // Users now belong to a tenant in the identity core (users.tenant_id, core migration 0006): the administrators
    // assigned to a tenant before that become its users, so their tenant's lists show them and no other tenant's do.
    name: '0051_access_tenant_admins_as_members',
    async up(db) {
      const rows = await db.selectFrom('access_tenant_principals' as never).select(['principal' as never, 'tenant_id' as never]).execute() as { principal: string; tenant_id: string }[];
      for (const row of rows) {
        if (!row.principal.startsWith('user:')) continue;
        await db.updateTable('users' as never).set({ tenant_id: row.tenant_id } as never).where('id' as never, '=', row.principal.slice('user:'.length) as never).execute();
      }
    },
  },
];

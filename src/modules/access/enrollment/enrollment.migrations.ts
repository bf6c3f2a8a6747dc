import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

/** The enrollment part's tables: names 0001-0009 are its own (access/index.ts). */
export const enrollmentMigrations: Migration[] = [
  {
    name: '0001_access_tokens_devices',
    async up(db, d) {
      const { uuid, timestamp: ts, json } = d.types;
      await db.schema
        .createTable('access_enrollment_tokens')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('device', 'gateway')`))
        .addColumn('max_uses', 'integer', (c) => c.notNull().check(sql`max_uses >= 0`))
        .addColumn('use_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('bound_user_id', uuid)
        .addColumn('bound_email', 'text')
        .addColumn('auto_group_ids', json, (c) => c.notNull())
        .addColumn('pool_id', uuid)
        .addColumn('channel', 'text', (c) => c.check(sql`channel in ('canary', 'stable')`))
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('last_used_at', ts)
        .addColumn('revoked_at', ts)
        .addColumn('revoked_by', 'text')
        .execute();
      await db.schema.createIndex('access_enrollment_tokens_tenant').on('access_enrollment_tokens').columns(['tenant_id', 'created_at']).execute();

      await db.schema
        .createTable('access_devices')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('user_id', uuid, (c) => c.references('users.id').onDelete('set null'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('platform', 'text', (c) => c.notNull())
        .addColumn('os_version', 'text')
        .addColumn('client_version', 'text')
        .addColumn('serial_number', 'text')
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('overlay_ip', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'active', 'suspended', 'revoked')`))
        .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('canary', 'stable')`))
        .addColumn('enrolled_via', 'text', (c) => c.notNull().check(sql`enrolled_via in ('token', 'oidc', 'saml')`))
        .addColumn('enrollment_token_id', uuid, (c) => c.references('access_enrollment_tokens.id').onDelete('set null'))
        .addColumn('auto_group_ids', json, (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('status_reason', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('last_seen_at', ts)
        .addColumn('suspended_at', ts)
        .addColumn('revoked_at', ts)
        .execute();
      // An address is never handed out twice in a tenant, even after a revoke (a gateway may still hold its rules).
      await db.schema.createIndex('access_devices_overlay_ip').on('access_devices').columns(['tenant_id', 'overlay_ip']).unique().execute();
      // One live device per WireGuard key: a key enrolled twice would make two devices indistinguishable at a gateway.
      await db.schema.createIndex('access_devices_live_key').on('access_devices').columns(['tenant_id', 'public_key']).unique().where(sql<boolean>`status <> 'revoked'`).execute();
      await db.schema.createIndex('access_devices_tenant').on('access_devices').columns(['tenant_id', 'created_at']).execute();
      await db.schema.createIndex('access_devices_user').on('access_devices').columns(['user_id']).execute();
    },
  },
  {
    name: '0002_access_saml_providers',
    async up(db, d) {
      const { uuid, timestamp: ts, json, boolean } = d.types;
      await db.schema
        .createTable('access_saml_providers')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('tenant_id', uuid, (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('entity_id', 'text', (c) => c.notNull())
        .addColumn('sso_url', 'text')
        .addColumn('idp_certs', json, (c) => c.notNull())
        .addColumn('sp_entity_id', 'text', (c) => c.notNull())
        .addColumn('acs_url', 'text', (c) => c.notNull())
        .addColumn('email_attribute', 'text', (c) => c.notNull())
        .addColumn('allowed_domains', json, (c) => c.notNull())
        .addColumn('enabled', boolean, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_saml_providers_name').on('access_saml_providers').columns(['tenant_id', 'name']).unique().execute();
      await db.schema
        .createTable('access_saml_assertions')
        .addColumn('provider_id', uuid, (c) => c.notNull().references('access_saml_providers.id').onDelete('cascade'))
        .addColumn('assertion_id', 'text', (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('access_saml_assertions_pk', ['provider_id', 'assertion_id'])
        .execute();
    },
  },
  {
    name: '0003_access_token_approval',
    async up(db, d) {
      // Devices enrolled with such a token wait in pending until an admin approves them.
      await db.schema.alterTable('access_enrollment_tokens').addColumn('approval_required', d.types.boolean, (c) => c.notNull().defaultTo(d.toBool(false) as never)).execute();
    },
  },
  {
    name: '0004_access_device_owner',
    async up(db) {
      // user_id is set null when its user is deleted (ON DELETE SET NULL); owner_id keeps who the device was
      // enrolled for, with no foreign key, so a deleted user's devices can still be found and revoked.
      await db.schema.alterTable('access_devices').addColumn('owner_id', 'text').execute();
      await db.updateTable('access_devices' as never).set({ owner_id: sql.ref('user_id') } as never).execute();
      await db.schema.createIndex('access_devices_owner').on('access_devices').columns(['owner_id']).execute();
    },
  },
];

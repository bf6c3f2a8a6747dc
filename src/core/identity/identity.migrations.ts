import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import type { DialectHelpers } from '../db/dialect.js';
import type { Migration } from '../db/migrator.js';

type Table = CreateTableBuilder<string, never>;

/** id, created_at and updated_at, the columns most identity tables start with. */
function entity(db: Kysely<any>, d: DialectHelpers, name: string): Table {
  return db.schema
    .createTable(name)
    .addColumn('id', d.types.uuid, (c) => c.primaryKey())
    .addColumn('created_at', d.types.timestamp, (c) => c.notNull()) as unknown as Table;
}

/** A foreign key to table.id. */
const ref = (table: string) => `${table}.id`;

export const identityMigrations: Migration[] = [
  {
    name: '0001_identity',
    async up(db, d) {
      const bool = d.types.boolean;
      const ts = d.types.timestamp;
      const falseDefault = d.name === 'postgres' ? sql`false` : sql`0`;

      await entity(db, d, 'users')
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text')
        .addColumn('display_name', 'text')
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'suspended', 'disabled')`))
        .addColumn('password_hash', 'text')
        .addColumn('password_changed_at', ts)
        .addColumn('mfa_enabled', bool, (c) => c.notNull().defaultTo(falseDefault))
        .addColumn('totp_secret', 'text')
        .addColumn('totp_pending_secret', 'text')
        .addColumn('totp_last_step', d.types.bigint)
        .addColumn('last_login_at', ts)
        .execute();
      await db.schema.createIndex('users_email').on('users').column('email').execute();

      await entity(db, d, 'groups')
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .execute();
      await db.schema
        .createTable('group_members')
        .addColumn('group_id', d.types.uuid, (c) => c.notNull().references(ref('groups')).onDelete('cascade'))
        .addColumn('user_id', d.types.uuid, (c) => c.notNull().references(ref('users')).onDelete('cascade'))
        .addColumn('added_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'user_id'])
        .execute();
      await db.schema.createIndex('group_members_user').on('group_members').column('user_id').execute();

      await entity(db, d, 'roles')
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('builtin', bool, (c) => c.notNull().defaultTo(falseDefault))
        .addColumn('permissions', d.types.json, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('user_roles')
        .addColumn('user_id', d.types.uuid, (c) => c.notNull().references(ref('users')).onDelete('cascade'))
        .addColumn('role_id', d.types.uuid, (c) => c.notNull().references(ref('roles')).onDelete('cascade'))
        .addColumn('granted_at', ts, (c) => c.notNull())
        .addColumn('granted_by', 'text')
        .addPrimaryKeyConstraint('user_roles_pk', ['user_id', 'role_id'])
        .execute();
      await db.schema.createIndex('user_roles_role').on('user_roles').column('role_id').execute();

      await db.schema
        .createTable('login_failures')
        .addColumn('username', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('first_failure_at', ts, (c) => c.notNull())
        .addColumn('locked_until', ts)
        .execute();

      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('public_jwk', d.types.json, (c) => c.notNull())
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'verifying', 'retired')`))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('retired_at', ts)
        .execute();

      await entity(db, d, 'sessions')
        .addColumn('user_id', d.types.uuid, (c) => c.notNull().references(ref('users')).onDelete('cascade'))
        .addColumn('auth_method', 'text', (c) => c.notNull())
        .addColumn('provider_id', 'text')
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('last_seen_at', ts)
        .addColumn('revoked_at', ts)
        .addColumn('revoked_reason', 'text')
        .addColumn('client_ip', 'text')
        .addColumn('user_agent', 'text')
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').columns(['user_id', 'created_at']).execute();

      await entity(db, d, 'refresh_tokens')
        .addColumn('session_id', d.types.uuid, (c) => c.notNull().references(ref('sessions')).onDelete('cascade'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('used_at', ts)
        .execute();
      await db.schema.createIndex('refresh_tokens_session').on('refresh_tokens').column('session_id').execute();

      await entity(db, d, 'recovery_codes')
        .addColumn('user_id', d.types.uuid, (c) => c.notNull().references(ref('users')).onDelete('cascade'))
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('used_at', ts)
        .execute();
      await db.schema.createIndex('recovery_codes_user').on('recovery_codes').column('user_id').execute();

      await entity(db, d, 'api_keys')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('permissions', d.types.json, (c) => c.notNull())
        .addColumn('created_by', d.types.uuid, (c) => c.notNull().references(ref('users')).onDelete('cascade'))
        .addColumn('expires_at', ts)
        .addColumn('last_used_at', ts)
        .addColumn('revoked_at', ts)
        .execute();

      await entity(db, d, 'service_accounts')
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'readonly')`))
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'disabled')`))
        .addColumn('created_by', 'text')
        .execute();
      await entity(db, d, 'service_account_tokens')
        .addColumn('service_account_id', d.types.uuid, (c) => c.notNull().references(ref('service_accounts')).onDelete('cascade'))
        .addColumn('name', 'text')
        .addColumn('kid', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'readonly')`))
        .addColumn('created_by', 'text')
        .addColumn('expires_at', ts)
        .addColumn('revoked_at', ts)
        .addColumn('last_used_at', ts)
        .execute();
      await db.schema.createIndex('sa_tokens_account').on('service_account_tokens').column('service_account_id').execute();

      await entity(db, d, 'sso_providers')
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('enabled', bool, (c) => c.notNull())
        .addColumn('is_default', bool, (c) => c.notNull().defaultTo(falseDefault))
        .addColumn('issuer_url', 'text', (c) => c.notNull())
        .addColumn('authorization_url', 'text')
        .addColumn('token_url', 'text')
        .addColumn('userinfo_url', 'text')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('client_secret', 'text')
        .addColumn('scopes', d.types.json, (c) => c.notNull())
        .addColumn('pkce_required', bool, (c) => c.notNull())
        .addColumn('subject_claim', 'text', (c) => c.notNull())
        .addColumn('email_claim', 'text', (c) => c.notNull())
        .addColumn('groups_claim', 'text', (c) => c.notNull())
        .addColumn('default_role', 'text')
        .addColumn('role_mappings', d.types.json, (c) => c.notNull())
        .addColumn('allowed_email_domains', d.types.json, (c) => c.notNull())
        .addColumn('session_ttl_s', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('user_identities')
        .addColumn('provider_id', d.types.uuid, (c) => c.notNull().references(ref('sso_providers')).onDelete('cascade'))
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('user_id', d.types.uuid, (c) => c.notNull().references(ref('users')).onDelete('cascade'))
        .addColumn('email', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('last_login_at', ts)
        .addPrimaryKeyConstraint('user_identities_pk', ['provider_id', 'subject'])
        .execute();

      await db.schema
        .createTable('auth_settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', d.types.json, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
  },
  {
    // Failures were counted per username, so anyone could lock anyone out; now per (account, source), source
    // and account, each with its own threshold (sessions/lockout.ts). Old counts are dropped with their table.
    name: '0002_login_throttle',
    async up(db, d) {
      await db.schema
        .createTable('login_throttle')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('last_failure_at', d.types.timestamp, (c) => c.notNull())
        .addColumn('blocked_until', d.types.timestamp)
        .execute();
      await db.schema.createIndex('login_throttle_last_failure').on('login_throttle').column('last_failure_at').execute();
      await db.schema.dropTable('login_failures').execute();
      },
    },
    {
    // Neuwerk orders its login screen's providers by display_order.
    name: '0003_sso_provider_display_order',
    async up(db) {
      await db.schema.alterTable('sso_providers').addColumn('display_order', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
  },
  {
    // The console sends a user whose password someone else chose (the first administrator, an admin's reset)
    // to pick their own before anything else.
    name: '0004_user_must_change_password',
    async up(db, d) {
      const falseDefault = d.name === 'postgres' ? sql`false` : sql`0`;
      await db.schema.alterTable('users').addColumn('must_change_password', d.types.boolean, (c) => c.notNull().defaultTo(falseDefault)).execute();
    },
  },
  {
    // OpenWatch's API tokens are bound to a role: the key remembers which one its scope came from.
    name: '0005_api_key_role',
    async up(db) {
      await db.schema.alterTable('api_keys').addColumn('role_id', 'text').execute();
    },
  },
  {
    // Tenants partition users and groups (core/tenancy): null is the default tenant, where every caller not confined
    // to a tenant lives; a module that runs tenants (access) puts the users and groups its tenants' callers create in theirs.
    name: '0006_identity_tenant_membership',
    async up(db) {
      await db.schema.alterTable('users').addColumn('tenant_id', 'text').execute();
      await db.schema.alterTable('groups').addColumn('tenant_id', 'text').execute();
      await db.schema.createIndex('users_tenant').on('users').columns(['tenant_id', 'username']).execute();
      await db.schema.createIndex('groups_tenant').on('groups').columns(['tenant_id', 'name']).execute();
    },
  },
];

import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

/**
 * Hosts and SSH credentials: the tables every other fleet part (liveness, discovery, scans, alerts) points at.
 * Other parts bring their own migrations, named 0002_... and later, in their folders.
 */
export const hostMigrations: Migration[] = [
  {
    name: '0001_fleet_hosts',
    async up(db, d) {
      const { uuid, timestamp: ts, boolean: bool, json } = d.types;
      const no = d.name === 'postgres' ? sql`false` : sql`0`;
      const yes = d.name === 'postgres' ? sql`true` : sql`1`;

      await db.schema
        .createTable('fleet_hosts')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('hostname', 'text', (c) => c.notNull())
        .addColumn('ip_address', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull().defaultTo(22))
        .addColumn('display_name', 'text')
        .addColumn('description', 'text')
        .addColumn('environment', 'text', (c) => c.notNull().defaultTo('production'))
        .addColumn('tags', json, (c) => c.notNull())
        .addColumn('group_id', uuid)
        .addColumn('username', 'text')
        .addColumn('maintenance_mode', bool, (c) => c.notNull().defaultTo(no))
        .addColumn('check_priority', 'integer', (c) => c.notNull().defaultTo(5))
        .addColumn('os_family', 'text')
        .addColumn('os_version', 'text')
        .addColumn('architecture', 'text')
        .addColumn('platform_identifier', 'text')
        .addColumn('os_discovered_at', ts)
        .addColumn('target_framework', 'text')
        .addColumn('created_by', uuid, (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('deleted_at', ts)
        .execute();
      // (hostname, environment) is unique among live hosts only: a deleted host frees its name.
      await db.schema
        .createIndex('fleet_hosts_name_live')
        .on('fleet_hosts')
        .columns(['hostname', 'environment'])
        .unique()
        .where(sql.ref('deleted_at'), 'is', null)
        .execute();

      await db.schema
        .createTable('fleet_credentials')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('scope', 'text', (c) => c.notNull().check(sql`scope in ('system', 'host')`))
        .addColumn('scope_id', uuid, (c) => c.references('fleet_hosts.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('auth_method', 'text', (c) => c.notNull().check(sql`auth_method in ('ssh_key', 'password', 'both')`))
        .addColumn('password_sealed', 'text')
        .addColumn('private_key_sealed', 'text')
        .addColumn('private_key_passphrase_sealed', 'text')
        .addColumn('ssh_key_fingerprint', 'text')
        .addColumn('ssh_key_type', 'text')
        .addColumn('ssh_key_bits', 'integer')
        .addColumn('ssh_key_comment', 'text')
        .addColumn('is_default', bool, (c) => c.notNull().defaultTo(no))
        .addColumn('is_active', bool, (c) => c.notNull().defaultTo(yes))
        .addColumn('created_by', uuid, (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addCheckConstraint('fleet_credentials_scope_id', sql`(scope = 'host') = (scope_id is not null)`)
        .execute();
      // One active system default; names unique per scope while active (both enforced by the database).
      await db.schema
        .createIndex('fleet_credentials_one_default')
        .on('fleet_credentials')
        .column('scope')
        .unique()
        .where(sql<boolean>`scope = 'system' and is_default = ${yes} and is_active = ${yes}`)
        .execute();
      await db.schema
        .createIndex('fleet_credentials_name_live')
        .on('fleet_credentials')
        .expression(sql`scope, coalesce(scope_id, ${sql.lit('00000000-0000-0000-0000-000000000000')}), name`)
        .unique()
        .where(sql<boolean>`is_active = ${yes}`)
        .execute();
    },
  },
];

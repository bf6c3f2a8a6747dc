import type { Migration } from '../../../core/db/migrator.js';

/** Trusted SSH host keys, one per host key name (trust on first use; a different key later fails closed). */
export const sshMigrations: Migration[] = [
  {
    name: '0002_fleet_ssh_host_keys',
    async up(db, d) {
      const { timestamp: ts } = d.types;
      await db.schema
        .createTable('fleet_ssh_host_keys')
        .addColumn('host_key_name', 'text', (c) => c.primaryKey())
        .addColumn('key_type', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('trusted_at', ts, (c) => c.notNull())
        .addColumn('last_seen_at', ts, (c) => c.notNull())
        .execute();
    },
  },
];

import type { Migration } from '../../../core/db/migrator.js';

/** The update-signing key: one Ed25519 key for the whole install (agent packages are not per tenant), sealed at rest. */
export const updateMigrations: Migration[] = [
  {
    name: '0050_access_update_signing_key',
    async up(db, d) {
      await db.schema
        .createTable('access_update_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('private_key_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', d.types.timestamp, (c) => c.notNull())
        .execute();
    },
  },
];

export const updateSealedColumn = { table: 'access_update_keys', idColumn: 'kid', column: 'private_key_sealed' };

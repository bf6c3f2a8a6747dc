import type { Migration } from '../../../core/db/migrator.js';

/** The config part's tables (edge migrations 0060-0079). */
export const configMigrations: Migration[] = [
  {
    name: '0060_edge_config_versions',
    async up(db, d) {
      const { timestamp: ts, boolean: bool } = d.types;
      const pg = d.name === 'postgres';
      await db.schema
        .createTable('edge_config_versions')
        .addColumn('version', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('config_sealed', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('applied', bool, (c) => c.notNull().defaultTo(d.toBool(false)))
        .addColumn('applied_at', ts)
        .addColumn('rolled_back', bool, (c) => c.notNull().defaultTo(d.toBool(false)))
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('comment', 'text')
        .addColumn('resource_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();

      await db.schema
        .createTable('edge_config_state')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('current_hash', 'text')
        .addColumn('max_versions', 'integer', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      const now = new Date().toISOString();
      await db.insertInto('edge_config_state').values({ id: 'config', current_hash: null, max_versions: 200, updated_at: now }).execute();

      await db.schema
        .createTable('edge_config_commit_confirm')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('timeout_secs', 'integer', (c) => c.notNull())
        .addColumn('armed_at', ts)
        .addColumn('expires_at', ts)
        .addColumn('armed_by', 'text')
        .addColumn('snapshot_sealed', 'text')
        .addColumn('claimed_by', 'text')
        .addColumn('claimed_at', ts)
        .addColumn('outcome', 'text')
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db
        .insertInto('edge_config_commit_confirm')
        .values({ id: 'window', status: 'idle', description: '', timeout_secs: 0, updated_at: now })
        .execute();

      await db.schema
        .createTable('edge_config_s3')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('enabled', bool, (c) => c.notNull())
        .addColumn('bucket', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text')
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('path_style', bool, (c) => c.notNull())
        .addColumn('access_key_id', 'text')
        .addColumn('secret_sealed', 'text')
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
  },
];

import type { Migration } from '../../../core/db/migrator.js';

/** Runtime settings (performance mode), the TLS-intercept CA and the Kubernetes integrations. */
export const settingsMigrations: Migration[] = [
  {
    name: '0003_settings_integrations',
    async up(db, d) {
      const { uuid, timestamp: ts, json } = d.types;
      await db.schema
        .createTable('egress_settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', json, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('egress_tls_intercept_ca')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('certificate_pem', 'text', (c) => c.notNull())
        .addColumn('private_key_sealed', 'text', (c) => c.notNull())
        .addColumn('fingerprint_sha256', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('egress_integrations')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('api_server_url', 'text', (c) => c.notNull())
        .addColumn('ca_cert_pem', 'text', (c) => c.notNull())
        .addColumn('token_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
  },
];

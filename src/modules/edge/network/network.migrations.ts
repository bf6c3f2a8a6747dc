import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

/** The network part's configuration: VLANs, static routes, interface settings and roles, one row each. */
export const networkMigrations: Migration[] = [
  {
    name: '0020_edge_net_items',
    async up(db, d) {
      const { uuid, timestamp: ts, json } = d.types;
      await db.schema
        .createTable('edge_net_items')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('vlan', 'route', 'interface')`))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('body', json, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('edge_net_items_kind_name').on('edge_net_items').columns(['kind', 'name']).unique().execute();
    },
  },
];

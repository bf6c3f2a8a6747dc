import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

/**
 * The host list's order (hostname, then id) as indexes of live hosts, so a page is read from the index instead of
 * sorting the whole fleet for each request; the second serves the list filtered by environment.
 */
export const hostListMigrations: Migration[] = [
  {
    name: '0010_fleet_host_list_indexes',
    async up(db) {
      for (const [name, columns] of [['fleet_hosts_live_order', ['hostname', 'id']], ['fleet_hosts_live_env_order', ['environment', 'hostname', 'id']]] as const) {
        await db.schema.createIndex(name).on('fleet_hosts').columns([...columns]).where(sql.ref('deleted_at'), 'is', null).execute();
      }
    },
  },
];

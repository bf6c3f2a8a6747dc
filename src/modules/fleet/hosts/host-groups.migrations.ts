import type { Migration } from '../../../core/db/migrator.js';

/** Host groups: named sets of hosts (fleet_hosts.group_id points here; deleting a group ungroups its hosts). */
export const hostGroupMigrations: Migration[] = [
  {
    name: '0004_fleet_host_groups',
    async up(db, d) {
      const { uuid, timestamp: ts } = d.types;
      await db.schema
        .createTable('fleet_host_groups')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('created_by', uuid, (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
  },
];

export interface FleetHostGroupRow {
  id: string;
  name: string;
  description: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    fleet_host_groups: FleetHostGroupRow;
  }
}

import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

/**
 * Host groups as OpenWatch has them: sites (manual membership, may carry a compliance target) and OS categories
 * (manual, or auto: every host of one OS family). A host joins a manual group through fleet_hosts.group_id or a
 * membership row; a group in maintenance keeps its hosts from being probed.
 */
export const hostGroupMigrations: Migration[] = [
  {
    name: '0004_fleet_host_groups',
    async up(db, d) {
      const { uuid, timestamp: ts, boolean: bool } = d.types;
      const no = d.name === 'postgres' ? sql`false` : sql`0`;
      await db.schema
        .createTable('fleet_host_groups')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('site', 'os_category')`))
        .addColumn('subtype', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('color', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('membership', 'text', (c) => c.notNull().check(sql`membership in ('manual', 'auto')`))
        .addColumn('match_family', 'text')
        .addColumn('maintenance', bool, (c) => c.notNull().defaultTo(no))
        .addColumn('target_framework', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      // One auto group per OS family.
      await db.schema
        .createIndex('fleet_host_groups_auto_family')
        .on('fleet_host_groups')
        .column('match_family')
        .unique()
        .where(sql.ref('membership'), '=', 'auto')
        .execute();
      await db.schema
        .createTable('fleet_host_group_members')
        .addColumn('group_id', uuid, (c) => c.notNull().references('fleet_host_groups.id').onDelete('cascade'))
        .addColumn('host_id', uuid, (c) => c.notNull().references('fleet_hosts.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('fleet_host_group_members_pk', ['group_id', 'host_id'])
        .execute();
    },
  },
];

type Bool = number | boolean;

export interface FleetHostGroupRow {
  id: string;
  name: string;
  kind: 'site' | 'os_category';
  subtype: string;
  color: string;
  membership: 'manual' | 'auto';
  match_family: string | null;
  maintenance: Bool;
  target_framework: string | null;
  created_at: string;
  updated_at: string;
}

export interface FleetHostGroupMemberRow {
  group_id: string;
  host_id: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    fleet_host_groups: FleetHostGroupRow;
    fleet_host_group_members: FleetHostGroupMemberRow;
  }
}

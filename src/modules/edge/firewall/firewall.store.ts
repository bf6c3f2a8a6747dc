import type { Migration } from '../../../core/db/migrator.js';
import type { Database } from '../../../core/db/database.js';

/** The firewall's objects by kind, each a JSON document in AiFw's shape; settings (block logging) by key. */
export type ObjectKind = 'rule' | 'alias' | 'schedule' | 'nat' | 'geoip';

interface EdgeFwObjectRow {
  id: string;
  kind: string;
  name: string | null;
  body: unknown;
  created_at: string;
  updated_at: string;
}

interface EdgeFwSettingRow {
  key: string;
  value: unknown;
  updated_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    edge_fw_objects: EdgeFwObjectRow;
    edge_fw_settings: EdgeFwSettingRow;
  }
}

export const firewallMigrations: Migration[] = [
  {
    name: '0001_edge_fw_objects',
    async up(db, d) {
      const { timestamp: ts, json } = d.types;
      await db.schema
        .createTable('edge_fw_objects')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        // Unique per kind where names are (aliases, schedules): the database settles a race between two creates.
        .addColumn('name', 'text')
        .addColumn('body', json, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('edge_fw_objects_kind_name').on('edge_fw_objects').columns(['kind', 'name']).unique().execute();
      await db.schema
        .createTable('edge_fw_settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', json, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
  },
];

export function createFirewallStore(db: Database) {
  const d = db.dialect;
  return {
    async list<T>(kind: ObjectKind): Promise<T[]> {
      const rows = await db.kysely.selectFrom('edge_fw_objects').select(['body']).where('kind', '=', kind).orderBy('created_at').orderBy('id').execute();
      return rows.map((r) => d.fromJson<T>(r.body));
    },
    async get<T>(kind: ObjectKind, id: string): Promise<T | null> {
      const row = await db.kysely.selectFrom('edge_fw_objects').select(['body']).where('kind', '=', kind).where('id', '=', id).executeTakeFirst();
      return row ? d.fromJson<T>(row.body) : null;
    },
    async insert<T extends { id: string; created_at: string; updated_at: string }>(kind: ObjectKind, obj: T, name: string | null = null): Promise<void> {
      await db.kysely
        .insertInto('edge_fw_objects')
        .values({ id: obj.id, kind, name, body: d.toJson(obj), created_at: obj.created_at, updated_at: obj.updated_at })
        .execute();
    },
    async update<T extends { id: string; created_at: string; updated_at: string }>(kind: ObjectKind, obj: T, name: string | null = null): Promise<boolean> {
      const r = await db.kysely
        .updateTable('edge_fw_objects')
        .set({ name, body: d.toJson(obj), created_at: obj.created_at, updated_at: obj.updated_at })
        .where('kind', '=', kind)
        .where('id', '=', obj.id)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async remove(kind: ObjectKind, id: string): Promise<boolean> {
      const r = await db.kysely.deleteFrom('edge_fw_objects').where('kind', '=', kind).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async removeAll(kind: ObjectKind): Promise<void> {
      await db.kysely.deleteFrom('edge_fw_objects').where('kind', '=', kind).execute();
    },
    async setting<T>(key: string, fallback: T): Promise<T> {
      const row = await db.kysely.selectFrom('edge_fw_settings').select(['value']).where('key', '=', key).executeTakeFirst();
      return row ? d.fromJson<T>(row.value) : fallback;
    },
    async setSetting(key: string, value: unknown, now: string): Promise<void> {
      const updated = await db.kysely.updateTable('edge_fw_settings').set({ value: d.toJson(value), updated_at: now }).where('key', '=', key).executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) await db.kysely.insertInto('edge_fw_settings').values({ key, value: d.toJson(value), updated_at: now }).execute();
    },
  };
}

export type FirewallStore = ReturnType<typeof createFirewallStore>;

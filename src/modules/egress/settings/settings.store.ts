import type { Core } from '../../../core/index.js';
import './settings.tables.js';

/** Key/value runtime settings of the egress module (one JSON value per key). */
export function createSettingsStore(core: Pick<Core, 'db' | 'now'>) {
  const { db } = core;
  return {
    async get<T>(key: string): Promise<T | undefined> {
      const row = await db.kysely.selectFrom('egress_settings').select('value').where('key', '=', key).executeTakeFirst();
      return row ? db.dialect.fromJson<T>(row.value) : undefined;
    },
    async put(key: string, value: unknown): Promise<void> {
      const row = { key, value: db.dialect.toJson(value), updated_at: core.now().toISOString() };
      await db.kysely
        .insertInto('egress_settings')
        .values(row)
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: row.value, updated_at: row.updated_at }))
        .execute();
    },
  };
}

export type SettingsStore = ReturnType<typeof createSettingsStore>;

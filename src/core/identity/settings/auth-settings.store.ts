import type { Database } from '../../db/database.js';

/**
 * auth_settings: one row per overridden setting. The value is stored as {"value": ...}: PostgreSQL hands back a
 * jsonb string already parsed, which dialect.fromJson cannot tell from JSON text, so no value is a bare string.
 */
export function createAuthSettingsStore(db: Database) {
  return {
    async all(): Promise<Record<string, unknown>> {
      const rows = await db.kysely.selectFrom('auth_settings').select(['key', 'value']).execute();
      return Object.fromEntries(rows.map((r) => [r.key, db.dialect.fromJson<{ value?: unknown }>(r.value)?.value]));
    },
    async put(key: string, value: unknown, at: string): Promise<void> {
      const json = db.dialect.toJson({ value });
      await db.kysely
        .insertInto('auth_settings')
        .values({ key, value: json, updated_at: at })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updated_at: at }))
        .execute();
    },
  };
}

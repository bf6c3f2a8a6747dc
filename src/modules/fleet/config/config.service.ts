import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import './config.tables.js';
import { configDefaults, configSchemas, type ConfigSection, type SystemConfigs } from './system-config.js';

const VARIABLES = 'scan_variables';

/**
 * The fleet's system configs, one fleet_settings row per section. A section never written reads as its defaults;
 * a stored section is merged over the defaults, so a field added in a later release gets its default.
 */
export function createConfigService(core: Pick<Core, 'db' | 'now'>) {
  const { db } = core;

  async function readRaw(section: string): Promise<Record<string, unknown> | undefined> {
    const row = await db.kysely.selectFrom('fleet_settings').select('value').where('section', '=', section).executeTakeFirst();
    return row ? db.dialect.fromJson<Record<string, unknown>>(row.value) : undefined;
  }

  async function write(section: string, value: unknown, actorId: string | null): Promise<void> {
    const row = { section, value: db.dialect.toJson(value), updated_by: actorId, updated_at: core.now().toISOString() };
    await db.kysely
      .insertInto('fleet_settings')
      .values(row)
      .onConflict((oc) => oc.column('section').doUpdateSet({ value: row.value, updated_by: row.updated_by, updated_at: row.updated_at }))
      .execute();
  }

  async function get<S extends ConfigSection>(section: S): Promise<SystemConfigs[S]> {
    return { ...configDefaults[section], ...(await readRaw(section)) } as SystemConfigs[S];
  }

  return {
    get,
    defaults: <S extends ConfigSection>(section: S): SystemConfigs[S] => structuredClone(configDefaults[section]),

    /**
     * Replaces a section with the fields given over the current ones, checked (or, for scan, clamped) by the
     * section's schema. Returns the stored config.
     */
    async put<S extends ConfigSection>(section: S, patch: Record<string, unknown>, actorId: string | null): Promise<SystemConfigs[S]> {
      const merged = { ...(await get(section)), ...patch };
      const result = configSchemas[section].safeParse(merged);
      if (!result.success) {
        const issue = result.error.issues[0]!;
        throw errors.validation(`${issue.path.join('.') || section}: ${issue.message}`, { details: { field: issue.path.join('.') } });
      }
      await write(section, result.data, actorId);
      return result.data as SystemConfigs[S];
    },

    async variables(): Promise<Record<string, string>> {
      return ((await readRaw(VARIABLES)) ?? {}) as Record<string, string>;
    },

    async putVariables(variables: Record<string, string>, actorId: string | null): Promise<Record<string, string>> {
      await write(VARIABLES, variables, actorId);
      return variables;
    },
  };
}

export type ConfigService = ReturnType<typeof createConfigService>;

import { z } from 'zod';
import type { Core } from '../../../core/index.js';

/** OpenWatch's per-user UI preferences: each key optional, unset keys leave the UI's own default. */
export const preferencesShape = z.object({
  hosts_view_default: z.enum(['table', 'cards']),
  density: z.enum(['comfortable', 'compact']),
  accent_color: z.enum(['info', 'ok', 'brand2']),
  landing_page: z.enum(['hosts', 'dashboard', 'reports']),
  date_format: z.enum(['us12', 'iso24', 'long24']),
  reduce_motion: z.boolean(),
}).partial();

export type Preferences = z.output<typeof preferencesShape>;

export function createPreferencesService(core: Core) {
  // Read on each use: inside a unit of work it is that transaction's handle.
  const db = () => core.db.kysely;
  const d = core.db.dialect;

  async function get(userId: string): Promise<Preferences> {
    const row = await db().selectFrom('fleet_user_preferences').select('preferences').where('user_id', '=', userId).executeTakeFirst();
    // A stored key that no longer validates (written by another version) is dropped rather than failing the read.
    const parsed = preferencesShape.safeParse(row ? d.fromJson(row.preferences) : {});
    return parsed.success ? parsed.data : {};
  }

  return {
    get,
    /** Merges the given keys over the stored ones and returns the whole set. */
    async patch(userId: string, patch: Preferences): Promise<Preferences> {
      return core.db.transaction(async () => {
        const merged = { ...(await get(userId)), ...patch };
        const at = core.now().toISOString();
        await db().insertInto('fleet_user_preferences').values({ user_id: userId, preferences: d.toJson(merged), updated_at: at })
          .onConflict((oc) => oc.column('user_id').doUpdateSet({ preferences: d.toJson(merged), updated_at: at })).execute();
        return merged;
      });
    },
  };
}

import type { Database } from '../../../../core/db/database.js';
import { paginate, type Page, type PageRequest } from '../../../../core/db/paginate.js';
import { isUuid } from '../../../../core/db/ids.js';
import type { OverlayAccessGrantRow } from '../../overlay.tables.js';

export function createAccessGrantStore(db: Database) {
  return {
    async insert(row: OverlayAccessGrantRow): Promise<void> {
      await db.kysely.insertInto('overlay_access_grants').values(row).execute();
    },

    async get(id: string): Promise<OverlayAccessGrantRow | undefined> {
      if (!isUuid(id)) return undefined;
      return db.kysely.selectFrom('overlay_access_grants').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** Grants a user gave or holds, newest first; `activeAt` keeps those neither revoked nor expired at that instant. */
    async listFor(userId: string, activeAt: string | null, page: PageRequest): Promise<Page<OverlayAccessGrantRow>> {
      let q = db.kysely
        .selectFrom('overlay_access_grants')
        .selectAll()
        .where((eb) => eb.or([eb('granted_by', '=', userId), eb('admin_user_id', '=', userId)]));
      if (activeAt) q = q.where('revoked_at', 'is', null).where('expires_at', '>', activeAt);
      return paginate(q.orderBy('created_at', 'desc').orderBy('id', 'desc'), page);
    },

    async revoke(id: string, at: string): Promise<void> {
      await db.kysely.updateTable('overlay_access_grants').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    },

    /** Names of the granted resources: network names and node hostnames by id. */
    async resourceNames(rows: OverlayAccessGrantRow[]): Promise<Map<string, string>> {
      const ids = (type: string) => [...new Set(rows.filter((r) => r.resource_type === type).map((r) => r.resource_id))];
      const names = new Map<string, string>();
      const networkIds = ids('network');
      const nodeIds = ids('node');
      if (networkIds.length) for (const n of await db.kysely.selectFrom('overlay_networks').select(['id', 'name']).where('id', 'in', networkIds).execute()) names.set(n.id, n.name);
      if (nodeIds.length) for (const n of await db.kysely.selectFrom('overlay_nodes').select(['id', 'hostname']).where('id', 'in', nodeIds).execute()) names.set(n.id, n.hostname);
      return names;
    },
  };
}

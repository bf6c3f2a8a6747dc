import type { Database } from '../../../core/db/database.js';

/**
 * Every change that alters any node's config (a node added, changed, revoked or deleted, a group firewall, a CA
 * rotation) bumps its network's config_revision in the same transaction. Device config caches key on it, so a
 * poll costs one indexed read until something changes, on every Rampart node sharing the database.
 */
export function createConfigRevisions(db: Database, now: () => Date) {
  return {
    async bump(networkId: string): Promise<void> {
      await db.kysely
        .updateTable('overlay_networks')
        .set((eb) => ({ config_revision: eb('config_revision', '+', 1), updated_at: now().toISOString() }))
        .where('id', '=', networkId)
        .execute();
    },
  };
}

export type ConfigRevisions = ReturnType<typeof createConfigRevisions>;

import type { Core } from '../../../core/index.js';
import { pollStateChanged } from '../device/poll-states.js';

/**
 * Every change that alters any node's config (a node added, changed, revoked or deleted, a group firewall, a CA
 * rotation) bumps its network's config_revision in the same transaction. Device config caches key on it, so a
 * poll costs one indexed read until something changes, on every Rampart node sharing the database.
 */
export function createConfigRevisions(core: Pick<Core, 'db' | 'events' | 'now'>) {
  const { db, now } = core;
  return {
    /**
     * Also tells every Rampart node's device-poll caches, on commit: the network's devices read their state again.
     * The event is sent before the update, which takes the network's row lock (PostgreSQL), so the NOTIFY's round
     * trip is not spent holding it; it joins the caller's transaction (or opens one), so it goes out on commit,
     * after the write is visible. `held`: the update is held for the unit's last writes (db.defer), so the lock is
     * taken only then, for the time left until the commit (a node create, whose checks need no lock).
     */
    bump(networkId: string, opts: { held?: boolean } = {}): Promise<void> {
      return db.transaction(async () => {
        await pollStateChanged(core, { network_id: networkId });
        const update = db.kysely
          .updateTable('overlay_networks')
          .set((eb) => ({ config_revision: eb('config_revision', '+', 1), updated_at: now().toISOString() }))
          .where('id', '=', networkId);
        await (opts.held ? db.defer(update) : update.execute());
      });
    },
  };
}

export type ConfigRevisions = ReturnType<typeof createConfigRevisions>;

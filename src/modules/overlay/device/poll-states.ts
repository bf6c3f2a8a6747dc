import type { Core } from '../../../core/index.js';
import type { DeviceCache } from './device-cache.js';
import type { NodeConfigState } from './node-configs.js';

/**
 * Published (inside the writing transaction, so it goes out on commit, to every Rampart node on PostgreSQL) when
 * something a device poll reads of a node may have changed: `network_id` for anything that bumps the network's
 * config revision (every change to a node's config, revocation and deletion included, bumps it) and for a deleted
 * network; `node_id` for a new device token version (an enrollment).
 */
export const POLL_STATE_CHANGED = 'overlay.poll_state.changed';
export type PollStateChange = { network_id: string } | { node_id: string };

/** Belt and braces: a remembered state is read again after this long even if no event said it changed. */
const STATE_TTL_MS = 10 * 60_000;
const KIND = 'state';

interface Remembered {
  state: NodeConfigState;
  /** The network's generation when the state was read. */
  network: number;
}

/**
 * What a device poll needs of its node (status, device token version, the network's config revision...),
 * remembered per node in the device cache's memory budget, so an unchanged device's poll (a 304) reads nothing
 * from the database: the token's signature is remembered by the keyset, its node's state here, the config's ETag
 * in the device cache.
 *
 * Invalidation is by event, not by time: POLL_STATE_CHANGED for a network makes every state read before it stale
 * (a per-network generation, so no scan), one for a node drops that node's. A read that began before any change
 * is not remembered. On PostgreSQL the events come from the other nodes through the event bus; while its LISTEN
 * connection is down, or once it reconnected (events published meanwhile are lost), nothing remembered is used.
 */
export function createPollStates(core: Pick<Core, 'events' | 'now'>, cache: DeviceCache, read: (nodeId: string) => Promise<NodeConfigState | undefined>) {
  const networks = new Map<string, number>();
  /** Bumped by every change: a read that saw an older value is not remembered. */
  let generation = 0;
  let reconnects = core.events.status().reconnects;

  core.events.subscribe(POLL_STATE_CHANGED, (event) => {
    const change = event.payload as Partial<{ network_id: string; node_id: string }>;
    generation++;
    if (change.network_id) networks.set(change.network_id, (networks.get(change.network_id) ?? 0) + 1);
    if (change.node_id) cache.delete(KIND, change.node_id);
  });

  /** Whether the bus delivers every change now (always, in one process); a gap (a reconnect) forgets everything. */
  function trustworthy(): boolean {
    const status = core.events.status();
    if (status.mode === 'local') return true;
    if (status.reconnects !== reconnects) {
      reconnects = status.reconnects;
      generation++;
      networks.clear(); // generations restart: states remembered before carry numbers that can no longer match
      cache.clearKind(KIND);
    }
    return status.listening;
  }

  return {
    /** The node's state, from memory when nothing changed since it was read. */
    async get(nodeId: string): Promise<NodeConfigState | undefined> {
      const nowMs = core.now().getTime();
      const trusted = trustworthy();
      if (trusted) {
        const hit = cache.get<Remembered>(KIND, nodeId, '', nowMs);
        if (hit && hit.network === (networks.get(hit.state.network_id) ?? 0)) return hit.state;
      }
      const startedAt = generation;
      const state = await read(nodeId);
      if (state && trusted && startedAt === generation) {
        cache.set(KIND, nodeId, '', nowMs + STATE_TTL_MS, { state, network: networks.get(state.network_id) ?? 0 } satisfies Remembered);
      }
      return state;
    },
  };
}

export type PollStates = ReturnType<typeof createPollStates>;

/** Publishes a change of what device polls read (see POLL_STATE_CHANGED). */
export function pollStateChanged(core: Pick<Core, 'events'>, change: PollStateChange): Promise<unknown> {
  return core.events.publish<PollStateChange>(POLL_STATE_CHANGED, change);
}

import type { EventBus } from '../../../core/events/event-bus.js';

/**
 * Published after a write that changes what the host list shows of some hosts: the host row, its liveness, its
 * compliance roll-up or its active scan. Caches of the list (hosts/host-list-cache.ts) re-read those hosts.
 */
export const FLEET_HOSTS_CHANGED = 'fleet.hosts.changed';

/** The hosts whose list item may have changed; null when too many to name (every host is re-read). */
export interface HostsChanged {
  host_ids: string[] | null;
}

/** More ids than this are announced as "every host": the notification stays small (inline in pg_notify). */
const MAX_NAMED = 100;

export type HostChangeAnnouncer = (hostIds: readonly string[] | null) => Promise<void>;

/**
 * Announces changed hosts on the core bus: inside a unit of work the event goes out on commit (never on rollback),
 * outside one at once. Call it after the write, so a reader woken by it reads the write.
 */
export function hostChangeAnnouncer(events: Pick<EventBus, 'publish'>): HostChangeAnnouncer {
  return async (hostIds) => {
    if (hostIds && hostIds.length === 0) return;
    const named = hostIds && hostIds.length <= MAX_NAMED ? [...new Set(hostIds)] : null;
    await events.publish<HostsChanged>(FLEET_HOSTS_CHANGED, { host_ids: named });
  };
}

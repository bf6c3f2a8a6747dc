import { AsyncResource } from 'node:async_hooks';
import type { Core } from '../../../core/index.js';
import type { BusEvent } from '../../../core/events/event-bus.js';
import { ACCESS_CHANGED, type AccessChange } from '../access.types.js';

/** Told on every node once a tenant's serial has moved (the node that bumped it publishes it). */
export const ACCESS_SERIAL = 'access.runtime.serial';
interface SerialMoved {
  tenant_id: string;
  serial: number;
}

type Waiter = (serial: number) => void;

/**
 * The change serial gateways watch. Every ACCESS_CHANGED is counted once, by the node it was published on (the
 * bus delivers an event locally on its origin and over LISTEN/NOTIFY elsewhere), into one row per tenant; that
 * node then tells every node the new serial, which wakes the long polls waiting there.
 */
export function createChangeFeed(core: Core) {
  const { db } = core;
  const k = () => db.kysely;
  const waiters = new Map<string, Set<Waiter>>();
  const listeners = new Set<(change: AccessChange) => void>();
  // Waits run outside the request's unit of work, so a long poll holds no pooled connection while it waits.
  const detachedScope = new AsyncResource('access.change-feed');

  async function current(tenantId: string): Promise<number> {
    const row = await k().selectFrom('access_runtime_serials').select('serial').where('tenant_id', '=', tenantId).executeTakeFirst();
    return Number(row?.serial ?? 0);
  }

  async function bump(change: AccessChange): Promise<number> {
    const now = core.now().toISOString();
    return db.transaction(async () => {
      await k()
        .insertInto('access_runtime_serials')
        .values({ tenant_id: change.tenant_id, serial: 1, reason: change.reason, changed_at: now })
        .onConflict((oc) => oc.column('tenant_id').doUpdateSet((eb) => ({ serial: eb('access_runtime_serials.serial', '+', 1), reason: change.reason, changed_at: now })))
        .execute();
      const serial = await current(change.tenant_id);
      await core.events.publish<SerialMoved>(ACCESS_SERIAL, { tenant_id: change.tenant_id, serial });
      return serial;
    });
  }

  function wake(moved: SerialMoved): void {
    for (const waiter of [...(waiters.get(moved.tenant_id) ?? [])]) waiter(moved.serial);
  }

  const unsubscribe = [
    core.events.subscribe(ACCESS_CHANGED, async (event: BusEvent) => {
      const change = event.payload as AccessChange;
      for (const listener of listeners) listener(change);
      if (event.origin === core.events.nodeId) await bump(change);
    }),
    core.events.subscribe(ACCESS_SERIAL, (event: BusEvent) => wake(event.payload as SerialMoved)),
  ];

  return {
    current,
    /** Runs fn outside the caller's unit of work (no pooled connection kept for it while it waits). */
    detached<T>(fn: () => Promise<T>): Promise<T> {
      return detachedScope.runInAsyncScope(fn);
    },
    /** Called with each change this node hears of (caches drop what it may have made stale). */
    onChange(listener: (change: AccessChange) => void): () => void {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    /**
     * The tenant's serial once it is past `since`: at once when it already is, else when a change arrives, else
     * null after timeoutMs.
     */
    waitPast(tenantId: string, since: number, timeoutMs: number): Promise<number | null> {
      return detachedScope.runInAsyncScope(async () => {
        let resolveMoved!: Waiter;
        const moved = new Promise<number>((resolve) => (resolveMoved = resolve));
        const set = waiters.get(tenantId) ?? new Set<Waiter>();
        waiters.set(tenantId, set);
        const waiter: Waiter = (serial) => serial > since && resolveMoved(serial);
        set.add(waiter); // before reading, so a change landing between the read and the wait is not missed
        let timer: NodeJS.Timeout | undefined;
        try {
          const now = await current(tenantId);
          if (now > since) return now;
          const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
          return await Promise.race([moved, timeout]);
        } finally {
          clearTimeout(timer);
          set.delete(waiter);
          if (set.size === 0) waiters.delete(tenantId);
        }
      });
    },
    close(): void {
      unsubscribe.forEach((u) => u());
    },
  };
}

export type ChangeFeed = ReturnType<typeof createChangeFeed>;

import { ByteLru } from './byte-lru.js';

/** Map entry, object header and key bookkeeping: what an entry costs besides its strings. */
const ENTRY_OVERHEAD_BYTES = 160;

/** Roughly what a value's strings and numbers take in V8 (one byte per character of ASCII text). */
function approximateBytes(value: unknown): number {
  if (typeof value === 'string') return 16 + value.length;
  if (typeof value !== 'object' || value === null) return 8;
  let total = 16;
  for (const item of Array.isArray(value) ? value : Object.values(value)) total += 8 + approximateBytes(item);
  return total;
}

/**
 * One memory budget (overlay.device_cache_mib) for everything the device-poll path remembers: each device's
 * ETag, its rendered texts, and each network's shared parts. Entries name the state they were computed from
 * (`key`: the network's config revision and the node's updated_at), so a change anywhere in the database is
 * seen on the next poll; least recently used entries go first when the budget is spent. Small per-device tags
 * are touched by every 304, so they outlive the large texts that only a 200 needs.
 */
export function createDeviceCache(budgetMib: number) {
  const lru = new ByteLru<{ key: string; validUntil: number; value: unknown }>(budgetMib * 1024 * 1024, (id, entry) => ENTRY_OVERHEAD_BYTES + id.length + entry.key.length + approximateBytes(entry.value));

  return {
    /** The value stored under (kind, id) if it was computed for `key` and has not outlived validUntil (ms). */
    get<T>(kind: string, id: string, key: string, nowMs: number): T | undefined {
      const entry = lru.get(`${kind}:${id}`);
      return entry && entry.key === key && nowMs < entry.validUntil ? (entry.value as T) : undefined;
    },

    set(kind: string, id: string, key: string, validUntil: number, value: unknown): void {
      lru.set(`${kind}:${id}`, { key, validUntil, value });
    },

    delete(kind: string, id: string): void {
      lru.delete(`${kind}:${id}`);
    },

    /** Forgets every entry of one kind (a scan: for rare events only). */
    clearKind(kind: string): void {
      lru.deletePrefix(`${kind}:`);
    },

    stats: () => ({ entries: lru.size, bytes: lru.bytes }),
  };
}

export type DeviceCache = ReturnType<typeof createDeviceCache>;

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

/** The share of the budget rendered texts may take: the rest is kept for what every poll needs. */
const TEXT_SHARE = 0.25;

/** Entries by (kind, id), each valid only for the `key` it was computed from, within `budgetBytes`. */
function keyedLru(budgetBytes: number) {
  const lru = new ByteLru<{ key: string; validUntil: number; value: unknown }>(budgetBytes, (id, entry) => ENTRY_OVERHEAD_BYTES + id.length + entry.key.length + approximateBytes(entry.value));

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

/**
 * One memory budget (overlay.device_cache_mib) for everything the device-poll path remembers: each device's
 * state and ETag, its rendered texts, and each network's shared parts. Entries name the state they were computed
 * from (`key`: the network's config revision and the node's updated_at), so a change anywhere in the database is
 * seen on the next poll; least recently used entries go first when the budget is spent.
 *
 * Rendered texts (`texts`) have a share of their own: a few KiB each, they would otherwise push out the small
 * per-device entries every poll needs. A fleet whose texts do not all fit (50,000 devices is about 400 MB of
 * YAML) kept cold-starting devices in turn: a pass over every device left only the newest devices' ETags, and
 * each miss evicted another device's. A text is needed only for a 200, which a changed revision renders anew.
 */
export function createDeviceCache(budgetMib: number) {
  const budget = budgetMib * 1024 * 1024;
  const texts = keyedLru(Math.floor(budget * TEXT_SHARE));
  const small = keyedLru(budget - Math.floor(budget * TEXT_SHARE));

  return {
    ...small,
    texts,
    stats: () => {
      const [a, b] = [small.stats(), texts.stats()];
      return { entries: a.entries + b.entries, bytes: a.bytes + b.bytes };
    },
  };
}

export type DeviceCache = ReturnType<typeof createDeviceCache>;

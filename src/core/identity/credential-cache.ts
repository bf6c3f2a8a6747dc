import type { Principal } from '../principal.js';

/**
 * Principals of machine credentials (API keys, service-account tokens), resolved on every request and so kept
 * for a short while. Whoever owns a cache clears it on IDENTITY_CHANGED; an entry never outlives its credential.
 */
export function createCredentialCache(now: () => Date, ttlMs: number, maxEntries = 10_000) {
  const entries = new Map<string, { principal: Principal; until: number }>();
  // Bumped by clear(): a principal resolved from reads made before a change must not be cached after it.
  let generation = 0;
  return {
    /** Taken before resolving a credential, and handed back to set(). */
    stamp: () => generation,
    get(key: string): Principal | undefined {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.until > now().getTime()) return entry.principal;
      entries.delete(key);
      return undefined;
    },
    set(key: string, principal: Principal, stamp: number): void {
      if (stamp !== generation) return;
      if (entries.size >= maxEntries) entries.clear(); // a bound, not an eviction policy: misses only cost a lookup
      const expires = principal.expiresAt == null ? Infinity : principal.expiresAt * 1000;
      entries.set(key, { principal, until: Math.min(now().getTime() + ttlMs, expires) });
    },
    clear(): void {
      generation++;
      entries.clear();
    },
  };
}

/** last_used_at is written at most once per interval per credential: it is on the hot path of every request. */
export function createUsageThrottle(now: () => Date, intervalMs = 60_000) {
  const lastWritten = new Map<string, number>();
  return {
    /** Whether to write last_used_at now; storedLastUsed is the column as read, when at hand. */
    due(id: string, storedLastUsed?: string | null): boolean {
      const at = now().getTime();
      const last = lastWritten.get(id) ?? (storedLastUsed ? Date.parse(storedLastUsed) : -Infinity);
      if (at - last < intervalMs) {
        lastWritten.set(id, last);
        return false;
      }
      if (lastWritten.size >= 10_000) lastWritten.clear();
      lastWritten.set(id, at);
      return true;
    },
  };
}

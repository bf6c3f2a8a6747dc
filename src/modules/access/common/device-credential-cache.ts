import type { AccessDevice } from '../access.types.js';

/**
 * Devices by their bearer credential, for a few seconds: every device request resolves its token, and
 * most of them are cheap reads (policy digest, SPC bundle) that should not each cost a query. Any device change
 * clears it: locally at commit (so the next request after a revoke already misses), and on every node through
 * ACCESS_CHANGED; the TTL bounds what a lost notification could leave behind.
 */
export function createDeviceCredentialCache(now: () => Date, ttlMs = 5_000, maxEntries = 50_000) {
  const entries = new Map<string, { device: AccessDevice; until: number }>();
  let generation = 0;
  return {
    /** Taken before reading the row; a clear() in between makes set() a no-op (the read may predate the change). */
    stamp: () => generation,
    get(secret: string): AccessDevice | undefined {
      const entry = entries.get(secret);
      if (!entry) return undefined;
      if (entry.until > now().getTime()) return entry.device;
      entries.delete(secret);
      return undefined;
    },
    set(secret: string, device: AccessDevice, stamp: number): void {
      if (stamp !== generation) return;
      if (entries.size >= maxEntries) entries.clear();
      entries.set(secret, { device, until: now().getTime() + ttlMs });
    },
    clear(): void {
      generation++;
      entries.clear();
    },
  };
}

import type { IdentityDeps } from '../index.js';
import type { AuthSettingsService } from '../identity.types.js';
import { createLoginFailureStore } from './login-failure.store.js';

export interface Lockout {
  /** Seconds until the username may try again, or 0. */
  lockedFor(username: string): Promise<number>;
  /** Counts a failure; returns the lock's length in seconds when this failure locked the account, else 0. */
  recordFailure(username: string): Promise<number>;
  clear(username: string): Promise<void>;
}

/** Submitted usernames are counted as typed (lower-cased), whether or not such a user exists. */
const keyOf = (username: string) => username.toLowerCase();

/**
 * Per-account lockout: lockout_threshold failures within lockout_minutes lock the username for lockout_minutes
 * (threshold 0: off). A success clears the count; so does the lock running out.
 */
export function createLockout(deps: IdentityDeps & { settings: AuthSettingsService }): Lockout {
  const store = createLoginFailureStore(deps.db);

  return {
    async lockedFor(username) {
      const until = await store.lockedUntil(keyOf(username));
      if (!until) return 0;
      return Math.max(0, Math.ceil((Date.parse(until) - deps.now().getTime()) / 1000));
    },

    async recordFailure(username) {
      const { lockout_threshold: threshold, lockout_minutes: minutes } = await deps.settings.get();
      if (threshold === 0) return 0;
      const key = keyOf(username);
      const now = deps.now().getTime();
      const lockSeconds = minutes * 60;
      const iso = (ms: number) => new Date(ms).toISOString();
      return deps.db.transaction(async () => {
        await store.resetStale(key, iso(now), iso(now - lockSeconds * 1000));
        if ((await store.increment(key, iso(now))) < threshold) return 0;
        return (await store.lock(key, iso(now + lockSeconds * 1000))) ? lockSeconds : 0;
      });
    },

    clear: (username) => store.clear(keyOf(username)),
  };
}

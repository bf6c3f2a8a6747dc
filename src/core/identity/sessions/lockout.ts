import type { IdentityDeps } from '../index.js';
import type { AuthSettingsService } from '../identity.types.js';
import { createLoginThrottleStore } from './login-throttle.store.js';
import { throttleKeys, type LoginAttempt, type ThrottleScope } from './throttle-keys.js';

export type { LoginAttempt } from './throttle-keys.js';

/** How long an attempt must wait, and which counter made it wait. */
export interface ThrottleVerdict {
  retryAfterSeconds: number;
  scope: ThrottleScope | null;
}

export interface Lockout {
  /** Whether the attempt may be made now; refused attempts are neither verified nor counted. */
  check(attempt: LoginAttempt): Promise<ThrottleVerdict>;
  /** Counts a failure on each of the attempt's counters; the wait it earned (0 s when none). */
  recordFailure(attempt: LoginAttempt): Promise<ThrottleVerdict>;
  /** A success forgets the failures of this account from this source, and only those. */
  recordSuccess(attempt: LoginAttempt): Promise<void>;
}

const NONE: ThrottleVerdict = { retryAfterSeconds: 0, scope: null };

/**
 * Login throttling that an attacker cannot turn against the real user. Failures are counted on three keys:
 * (account, source), source, and account. A key that reaches its threshold waits base_delay, and each further
 * failure doubles the wait, up to lockout_minutes. The (account, source) threshold is low, so a guesser is slowed
 * at once, but only from its own address: the account's owner elsewhere signs in as usual. The source threshold
 * stops one address from spraying many accounts; the account ceiling is high, reachable only by very many sources,
 * and then slows every source for that account. A key forgets its failures twice lockout_minutes after its last.
 */
export function createLockout(deps: IdentityDeps & { settings: AuthSettingsService }): Lockout {
  const store = createLoginThrottleStore(deps.db);
  const iso = (ms: number) => new Date(ms).toISOString();

  async function policy() {
    const { lockout_threshold: pair, lockout_minutes: minutes } = await deps.settings.get();
    const auth = deps.config.auth;
    const thresholds: Record<ThrottleScope, number> = {
      account_source: pair,
      // Throttling off (pair threshold 0) turns every counter off.
      source: pair === 0 ? 0 : auth.lockout_source_threshold,
      account: pair === 0 ? 0 : auth.lockout_account_ceiling,
    };
    return { thresholds, capSeconds: minutes * 60, baseSeconds: auth.lockout_base_delay_s };
  }

  /** The wait after the failures-th failure: none below the threshold, then doubling from base up to cap. */
  function waitAfter(failures: number, threshold: number, baseSeconds: number, capSeconds: number): number {
    if (threshold === 0 || failures < threshold) return 0;
    const doublings = Math.min(failures - threshold, 30);
    return Math.min(baseSeconds * 2 ** doublings, capSeconds);
  }

  async function countFailure(key: string, threshold: number, p: Awaited<ReturnType<typeof policy>>, now: number): Promise<number> {
    return deps.db.transaction(async () => {
      const failures = await store.increment(key, iso(now));
      const wait = waitAfter(failures, threshold, p.baseSeconds, p.capSeconds);
      if (wait > 0) await store.block(key, iso(now + wait * 1000));
      return wait;
    });
  }

  return {
    async check(attempt) {
      const keys = throttleKeys(attempt);
      const now = deps.now().getTime();
      let verdict = NONE;
      for (const [scope, key] of Object.entries(keys) as [ThrottleScope, string][]) {
        const until = await store.blockedUntil(key, iso(now));
        const seconds = until ? Math.ceil((Date.parse(until) - now) / 1000) : 0;
        if (seconds > verdict.retryAfterSeconds) verdict = { retryAfterSeconds: seconds, scope };
      }
      return verdict;
    },

    async recordFailure(attempt) {
      const p = await policy();
      const keys = throttleKeys(attempt);
      const now = deps.now().getTime();
      await store.forgetStale(iso(now - 2 * p.capSeconds * 1000));
      let verdict = NONE;
      for (const [scope, key] of Object.entries(keys) as [ThrottleScope, string][]) {
        if (p.thresholds[scope] === 0) continue;
        const seconds = await countFailure(key, p.thresholds[scope], p, now);
        if (seconds > verdict.retryAfterSeconds) verdict = { retryAfterSeconds: seconds, scope };
      }
      return verdict;
    },

    recordSuccess: (attempt) => store.clear(throttleKeys(attempt).account_source),
  };
}

import { notYet } from '../not-yet.js';
import type { IdentityDeps } from '../index.js';
import type { AuthSettingsService } from '../identity.types.js';

export interface Lockout {
  /** Seconds until the username may try again, or 0. */
  lockedFor(username: string): Promise<number>;
  /** Counts a failure; returns the lock's length in seconds when this failure locked the account, else 0. */
  recordFailure(username: string): Promise<number>;
  clear(username: string): Promise<void>;
}

export function createLockout(deps: IdentityDeps & { settings: AuthSettingsService }): Lockout {
  // TODO(helper B): lockout
  return notYet<Lockout>('lockout');
}

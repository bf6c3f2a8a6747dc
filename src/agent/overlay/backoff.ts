/**
 * How long to wait after consecutive failed polls: exponential from `baseMs`, capped at `capMs`, with "equal
 * jitter" (a random point in the upper half) so a fleet that lost its server does not return in lockstep.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 5_000, capMs: 5 * 60_000 };

/** `failures` counts from 1; `random` returns [0, 1). */
export function backoffDelayMs(failures: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

import { sleep } from '../common/sleep.js';

/**
 * Runs `work` every `intervalMs` until the signal aborts; a failure is logged and waits the backoff instead.
 * `work` returning a number waits that long instead of the interval (a loop that knows its next deadline).
 */
export async function every(
  intervalMs: number,
  signal: AbortSignal,
  work: () => Promise<number | void>,
  onError: (err: Error, failures: number) => number,
): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    let wait = intervalMs;
    try {
      const next = await work();
      failures = 0;
      if (typeof next === 'number') wait = next;
    } catch (err) {
      if (signal.aborted) return;
      wait = onError(err as Error, ++failures);
    }
    await sleep(wait, signal);
  }
}

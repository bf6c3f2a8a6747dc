/** Small pieces the agents' loops share. */

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

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

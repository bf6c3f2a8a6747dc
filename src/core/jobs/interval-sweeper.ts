import type { Core } from '../index.js';

/**
 * Runs a module's sweep (expired silences, exceptions, revocation entries) on an interval, on every node. A sweep
 * must be idempotent across nodes: it moves rows in transactions from the state it found them in, so two nodes
 * sweeping at once move a row once. A failed sweep is logged and the next one runs on time.
 */
export function startIntervalSweeper(core: Core, name: string, sweep: () => Promise<unknown>, intervalMs = 15_000): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(sweep).catch((err) => core.logger.warn({ err, sweep: name }, 'sweep failed'));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

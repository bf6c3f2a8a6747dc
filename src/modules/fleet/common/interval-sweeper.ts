import type { Core } from '../../../core/index.js';

/**
 * Runs a sweep (expired silences, expired exceptions) on an interval, on every node: each sweep moves rows in
 * transactions from the state it found them in, so two nodes sweeping at once move a row once.
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

import type { Core } from '../../../core/index.js';
import type { AlertService } from './alert.service.js';

const SWEEP_INTERVAL_MS = 15_000;

/**
 * Returns expired silences to active on an interval, on every node: each move runs in a transaction from the
 * silenced state, so two nodes sweeping at once move an alert once (the other finds it active and skips it).
 */
export function startSilenceSweeper(core: Core, alerts: AlertService): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = alerts.sweepSilences().catch((err) => core.logger.warn({ err }, 'alert silence sweep failed'));
  }, SWEEP_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

import type { Core } from '../../../core/index.js';
import { startIntervalSweeper } from '../../../core/jobs/interval-sweeper.js';
import type { PolicyService } from './policy.service.js';

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Every minute on every node: revocation entries whose SPC has expired are pruned, and retiring signers past
 * their overlap are written down as retired. Both are idempotent deletes and updates, so nodes may overlap.
 */
export function startPolicySweeper(core: Core, policy: PolicyService, intervalMs = SWEEP_INTERVAL_MS): { stop(): Promise<void> } {
  return startIntervalSweeper(core, 'access-policy', async () => {
    await policy.spcs.prune();
    await policy.signers.retireDue();
  }, intervalMs);
}

import { nodeIdOf } from '../node-id.js';
import type { Core } from '../../../core/index.js';
import { createFlowTracker, type FlowTracker } from './flow-tracker.js';

/**
 * What the wiretap route streams from. `flows` is the conntrack tracker, used only while `enabled()` (the data
 * plane runs on this host); otherwise streams carry heartbeats only. Both are plain fields so a test can point
 * them at a tracker of its own (a network namespace's conntrack).
 */
export interface Wiretap {
  enabled(): boolean;
  flows: FlowTracker;
}

export function createWiretap(core: Pick<Core, 'config' | 'logger' | 'now'>, deps: { enabled(): boolean; hostnameOf(ip: string): string | null }): Wiretap {
  return {
    enabled: deps.enabled,
    flows: createFlowTracker({
      intervalMs: core.config.egress.poll_interval_ms,
      nodeId: nodeIdOf(core),
      hostnameOf: deps.hostnameOf,
      logger: core.logger.child({ component: 'wiretap' }),
      now: core.now,
    }),
  };
}

import type { Core } from '../../core/index.js';
import type { EdgeHooks } from './edge.types.js';
import { createEdgeConfig } from './config/config.service.js';
import { createFirewallService } from './firewall/firewall.service.js';
import { wireFrame } from './frame/frame.wiring.js';
import { wireNetwork } from './network/network.wiring.js';

/** Until a part provides its hook: nothing registered, nothing pending, no interfaces. */
function defaultHooks(): EdgeHooks {
  return {
    sections: [],
    applySteps: [],
    markPending: async () => {},
    firewallCounts: async () => ({ rules: 0, active_rules: 0, nat_rules: 0 }),
    hostApplied: async () => false,
    interfaces: async () => [],
    liveNetwork: async () => ({ connections: [], connection_count: 0, interfaces: [], blocked: [], default_gateway: null, route_count: 0 }),
  };
}

/**
 * The edge services, wired by hand once per core so routes, jobs and background work share one instance. Each
 * part creates its service here and fills the hooks it provides (edge.types.ts).
 */
function createEdgeServices(core: Core) {
  const hooks = defaultHooks();
  const network = wireNetwork(core, hooks);
  const frame = wireFrame(core, hooks);
  const firewall = createFirewallService(core, hooks);
  hooks.sections.push(...firewall.sections);
  hooks.applySteps.push({ name: 'firewall', order: 50, apply: async () => void (await firewall.apply()) });
  hooks.firewallCounts = firewall.counts;
  hooks.hostApplied = firewall.hostApplied;
  // Last: the config part snapshots and restores the sections the others registered.
  const config = createEdgeConfig(core, hooks);
  return { core, hooks, network, frame, firewall, config };
}

export type EdgeServices = ReturnType<typeof createEdgeServices>;

const byCore = new WeakMap<Core, EdgeServices>();

export function edgeServices(core: Core): EdgeServices {
  let services = byCore.get(core);
  if (!services) byCore.set(core, (services = createEdgeServices(core)));
  return services;
}

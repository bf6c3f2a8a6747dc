import type { Core } from '../../core/index.js';
import type { EdgeHooks } from './edge.types.js';
import { createEdgeConfig } from './config/config.service.js';

/** Until a part provides its hook: nothing registered, nothing pending, no interfaces. */
function defaultHooks(): EdgeHooks {
  return {
    sections: [],
    applySteps: [],
    markPending: async () => {},
    firewallCounts: async () => ({ rules: 0, active_rules: 0, nat_rules: 0 }),
    interfaces: async () => [],
  };
}

/**
 * The edge services, wired by hand once per core so routes, jobs and background work share one instance. Each
 * part creates its service here and fills the hooks it provides (edge.types.ts).
 */
function createEdgeServices(core: Core) {
  const hooks = defaultHooks();
  const config = createEdgeConfig(core, hooks);
  return { core, hooks, config };
}

export type EdgeServices = ReturnType<typeof createEdgeServices>;

const byCore = new WeakMap<Core, EdgeServices>();

export function edgeServices(core: Core): EdgeServices {
  let services = byCore.get(core);
  if (!services) byCore.set(core, (services = createEdgeServices(core)));
  return services;
}

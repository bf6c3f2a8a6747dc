import type { Core } from '../../core/index.js';
import { createHostKeyStore } from './ssh/host-keys.store.js';
import { forgetHostKey } from './ssh/host-key-trust.js';
import { createSshConnector } from './ssh/ssh.connector.js';

/**
 * The fleet services, wired by hand once per core, so the HTTP routes, the job handlers and the background work
 * (liveness probes, the scan scheduler) share one instance. Each part adds its service here.
 */
function createFleetServices(core: Core) {
  const hostKeys = createHostKeyStore(core.db, core.now);
  return {
    core,
    hostKeys,
    /** SSH to managed hosts (ssh/ssh.types.ts). Tests replace it with one that dials into their namespaces. */
    connector: createSshConnector({ hostKeys, audit: core.audit }),
    forgetHostKey: (input: Parameters<typeof forgetHostKey>[1]) => forgetHostKey({ hostKeys, audit: core.audit }, input),
  };
}

export type FleetServices = ReturnType<typeof createFleetServices>;

const byCore = new WeakMap<Core, FleetServices>();

export function fleetServices(core: Core): FleetServices {
  let services = byCore.get(core);
  if (!services) byCore.set(core, (services = createFleetServices(core)));
  return services;
}

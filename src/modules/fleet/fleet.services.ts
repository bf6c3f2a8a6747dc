import type { Core } from '../../core/index.js';
import type { DriftHook } from './scans/drift.js';
import type { ScanEngine } from './scans/scan-job.js';
import { createScanning } from './scans/scanning.js';
import { unwiredEngine } from './scans/unwired-engine.js';
import { createHostKeyStore } from './ssh/host-keys.store.js';
import { forgetHostKey } from './ssh/host-key-trust.js';
import { createSshConnector } from './ssh/ssh.connector.js';

/**
 * The fleet services, wired by hand once per core, so the HTTP routes, the job handlers and the background work
 * (liveness probes, the scan scheduler) share one instance. Each part adds its service here.
 */
function createFleetServices(core: Core) {
  const hostKeys = createHostKeyStore(core.db, core.now);
  const services = {
    core,
    hostKeys,
    /** SSH to managed hosts (ssh/ssh.types.ts). Tests replace it with one that dials into their namespaces. */
    connector: createSshConnector({ hostKeys, audit: core.audit }),
    forgetHostKey: (input: Parameters<typeof forgetHostKey>[1]) => forgetHostKey({ hostKeys, audit: core.audit }, input),
    /** Hooks other parts set: onDrift is called after a completed scan whose score moved enough (scans/drift.ts). */
    hooks: { onDrift: (() => undefined) as DriftHook },
    /** What scans run on: the SSH transport, the rule engine and the scan settings. */
    scanEngine: unwiredEngine as ScanEngine,
    scanning: undefined as unknown as ReturnType<typeof createScanning>,
  };
  services.scanning = createScanning(core, { engine: () => services.scanEngine, onDrift: () => services.hooks.onDrift });
  return services;
}

export type FleetServices = ReturnType<typeof createFleetServices>;

const byCore = new WeakMap<Core, FleetServices>();

export function fleetServices(core: Core): FleetServices {
  let services = byCore.get(core);
  if (!services) byCore.set(core, (services = createFleetServices(core)));
  return services;
}

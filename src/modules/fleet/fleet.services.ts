import type { Core } from '../../core/index.js';
import { createHostKeyStore } from './ssh/host-keys.store.js';
import { forgetHostKey } from './ssh/host-key-trust.js';
import { createSshConnector } from './ssh/ssh.connector.js';
import { createConfigService } from './config/config.service.js';
import { createCredentialService } from './credentials/credential.service.js';
import { createHostService } from './hosts/host.service.js';
import { createHostGroupService } from './hosts/host-group.service.js';
import { noCompliance, type ComplianceProvider } from './hosts/host.view.js';
import { createLicenseService } from './license/license.service.js';
import { createLivenessService, type LivenessListener } from './liveness/liveness.service.js';
import { createHostProber, ping, type HostProber } from './liveness/probes.js';
import type { HostConnector } from './ssh/ssh.types.js';
import { createDiscoveryService } from './intelligence/discovery.service.js';
import { createIntelligenceService } from './intelligence/intelligence.service.js';
import type { SessionDeps } from './intelligence/host-session.js';

/**
 * Where the fleet's parts plug into each other without importing each other's stores. Each is a plain function
 * the owning part replaces when it wires itself (scans set complianceOf, alerts set onLivenessChange, the SSH part
 * sets connector).
 */
export interface FleetHooks {
  /** Compliance summary, last scan and scan state per host; zeros and nulls until scans provide it. */
  complianceOf: ComplianceProvider;
  /** Called after a host's monitoring state changed (host_unreachable / host_recovered alerts). */
  onLivenessChange: LivenessListener;
  /** The SSH transport liveness probes through; null probes report the SSH layer as failed. */
  connector: HostConnector | null;
  /** Replaces the real probe layers (tests of the scheduler). */
  prober: HostProber | null;
  /** The ICMP layer: `ping` from this host by default; tests ping from inside their namespaces. */
  ping: (address: string, timeoutSec: number) => Promise<boolean>;
}

/**
 * The fleet services, wired by hand once per core, so the HTTP routes, the job handlers and the background work
 * (liveness probes, the scan scheduler) share one instance. Each part adds its service here.
 */
function createFleetServices(core: Core) {
  const hostKeys = createHostKeyStore(core.db, core.now);
  const hooks: FleetHooks = {
    complianceOf: async () => new Map(),
    onLivenessChange: () => {},
    connector: createSshConnector({ hostKeys, audit: core.audit }),
    prober: null,
    ping,
  };
  const groups = createHostGroupService(core);
  const hosts = createHostService(core, groups);
  const credentials = createCredentialService(core, hosts);
  const config = createConfigService(core);
  const license = createLicenseService(core);
  const realProber = createHostProber({
    connector: () => hooks.connector,
    secretFor: (id) => credentials.resolveSecret(id),
    ping: (address, timeoutSec) => hooks.ping(address, timeoutSec),
  });
  const liveness = createLivenessService({
    core,
    hosts,
    config,
    prober: () => hooks.prober ?? realProber,
    onChange: (host, from, to) => hooks.onLivenessChange(host, from, to),
  });
  const session: SessionDeps = {
    connector: () => {
      if (!hooks.connector) throw new Error('no SSH connector is configured');
      return hooks.connector;
    },
    secretFor: (hostId) => credentials.resolveSecret(hostId),
    connectTimeoutMs: async () => (await config.get('connectivity')).timeout_sec * 1000,
  };
  const discovery = createDiscoveryService({ core, hosts, session });
  const intelligence = createIntelligenceService({ core, hosts, session });
  return {
    core,
    hooks,
    discovery,
    intelligence,
    hosts,
    groups,
    credentials,
    config,
    license,
    liveness,
    noCompliance,
    hostKeys,
    /** SSH to managed hosts (ssh/ssh.types.ts); the same one liveness probes through. Tests set one that dials into their namespaces. */
    get connector(): HostConnector {
      return hooks.connector!;
    },
    set connector(connector: HostConnector) {
      hooks.connector = connector;
    },
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

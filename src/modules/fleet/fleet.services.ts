import type { Core } from '../../core/index.js';
import { createAlertService } from './alerts/alert.service.js';
import { createChannelService } from './notifications/channel.service.js';
import { createExceptionService } from './exceptions/exception.service.js';
import { createActivityService } from './activity/activity.service.js';
import { alertActivity, auditActivity } from './activity/activity.sources.js';
import { createRemediationService } from './remediation/remediation.service.js';
import type { RemediationHosts } from './remediation/remediation.types.js';
import { unwiredRemediationHosts } from './remediation/unwired-hosts.js';
import { createHostKeyStore } from './ssh/host-keys.store.js';
import { forgetHostKey } from './ssh/host-key-trust.js';
import { createSshConnector } from './ssh/ssh.connector.js';

/** What the fleet's services take from parts wired in later (the license part gates enterprise features). */
export interface FleetServiceOptions {
  /** Throws 402 when the license lacks the feature; every feature is available when absent. */
  requireFeature?(feature: string): Promise<void> | void;
}

/**
 * The fleet services, wired by hand once per core, so the HTTP routes, the job handlers and the background work
 * (liveness probes, the scan scheduler) share one instance. Each part adds its service here.
 */
function createFleetServices(core: Core, opts: FleetServiceOptions = {}) {
  const hostKeys = createHostKeyStore(core.db, core.now);
  const channels = createChannelService(core);
  const alerts = createAlertService({ core, onCreated: (alert) => channels.enqueueDeliveries(alert) });
  const exceptions = createExceptionService({ core, requireFeature: opts.requireFeature ?? (() => undefined) });
  // Compliance transactions, intelligence events and liveness transitions join as their parts register sources.
  const activity = createActivityService();
  activity.register(alertActivity(core.db));
  activity.register(auditActivity(core.db));
  const services = {
    core,
    hostKeys,
    /** SSH to managed hosts (ssh/ssh.types.ts). Tests replace it with one that dials into their namespaces. */
    connector: createSshConnector({ hostKeys, audit: core.audit }),
    forgetHostKey: (input: Parameters<typeof forgetHostKey>[1]) => forgetHostKey({ hostKeys, audit: core.audit }, input),
    alerts,
    channels,
    exceptions,
    activity,
    /** Plans and SSH sessions for remediation; the composition wires the rule catalog and the connector here. */
    remediationHosts: unwiredRemediationHosts as RemediationHosts,
    remediation: undefined as unknown as ReturnType<typeof createRemediationService>,
  };
  services.remediation = createRemediationService({ core, hosts: () => services.remediationHosts });
  return services;
}

export type FleetServices = ReturnType<typeof createFleetServices>;

const byCore = new WeakMap<Core, FleetServices>();

/** The services of this core, created at the first call (with the options of that call). */
export function fleetServices(core: Core, opts?: FleetServiceOptions): FleetServices {
  let services = byCore.get(core);
  if (!services) byCore.set(core, (services = createFleetServices(core, opts)));
  return services;
}

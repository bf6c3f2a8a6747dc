import type { Core } from '../../core/index.js';
import { createAlertService } from './alerts/alert.service.js';
import { createChannelService } from './notifications/channel.service.js';

/**
 * The fleet services, wired by hand once per core, so the HTTP routes, the job handlers and the background work
 * (liveness probes, the scan scheduler) share one instance. Each part adds its service here.
 */
function createFleetServices(core: Core) {
  const channels = createChannelService(core);
  const alerts = createAlertService({ core, onCreated: (alert) => channels.enqueueDeliveries(alert) });
  return { core, alerts, channels };
}

export type FleetServices = ReturnType<typeof createFleetServices>;

const byCore = new WeakMap<Core, FleetServices>();

export function fleetServices(core: Core): FleetServices {
  let services = byCore.get(core);
  if (!services) byCore.set(core, (services = createFleetServices(core)));
  return services;
}

import type { Core } from '../../core/index.js';
import { createNotificationService } from './frame/notifications.service.js';
import { createPreferencesService } from './frame/preferences.service.js';

/**
 * The fleet services, wired by hand once per core, so the HTTP routes, the job handlers and the background work
 * (liveness probes, the scan scheduler) share one instance. Each part adds its service here.
 */
function createFleetServices(core: Core) {
  return { core, notifications: createNotificationService(core), preferences: createPreferencesService(core) };
}

export type FleetServices = ReturnType<typeof createFleetServices>;

const byCore = new WeakMap<Core, FleetServices>();

export function fleetServices(core: Core): FleetServices {
  let services = byCore.get(core);
  if (!services) byCore.set(core, (services = createFleetServices(core)));
  return services;
}

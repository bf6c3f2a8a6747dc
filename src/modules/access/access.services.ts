import type { Core } from '../../core/index.js';
import type { AccessHooks } from './access.types.js';
import { createGatewaysPart } from './gateways/gateways.part.js';

/** Until a part provides its hook: nothing enrolled, nothing judged, nothing to add or close. */
function defaultHooks(): AccessHooks {
  return {
    device: async () => undefined,
    deviceGroups: async () => [],
    redeemGatewayToken: async () => {
      throw new Error('gateway enrollment is not wired');
    },
    posture: async () => ({ verdict: 'unknown', failed_checks: [], checked_at: null }),
    enrollmentPolicy: async () => ({}),
    revokeSpcs: async () => {},
    spcStatus: async () => null,
    trustAnchors: async () => ({ serial: 0, anchors: [] }),
    revocationBundle: async () => ({ serial: 0, revoked: [], signer_kids: [] }),
    bundleForChannel: async () => null,
    allowedDestinations: async () => [],
    enrollmentGateways: async () => ({}),
    closeSessions: async () => {},
  };
}

/**
 * The access services, wired by hand once per core so routes, jobs and background work share one instance. Each
 * part creates its service here and fills the hooks it provides (access.types.ts).
 */
function createAccessServices(core: Core) {
  const hooks = defaultHooks();
  const gateways = createGatewaysPart(core, hooks);
  return { core, hooks, gateways };
}

export type AccessServices = ReturnType<typeof createAccessServices>;

const byCore = new WeakMap<Core, AccessServices>();

export function accessServices(core: Core): AccessServices {
  let services = byCore.get(core);
  if (!services) byCore.set(core, (services = createAccessServices(core)));
  return services;
}

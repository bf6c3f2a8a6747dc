import type { Core } from '../../core/index.js';
import { DEFAULT_TENANT_ID, type AccessHooks } from './access.types.js';
import { createEnrollmentPart } from './enrollment/enrollment.part.js';
import { createPolicyService, providePolicyHooks } from './policy/policy.service.js';
import { createGatewaysPart } from './gateways/gateways.part.js';
import { createTenantsPart } from './tenants/tenants.part.js';

/** Until a part provides its hook: nothing enrolled, nothing judged, nothing to add or close. */
function defaultHooks(): AccessHooks {
  return {
    device: async () => undefined,
    deviceGroups: async () => [],
    redeemGatewayToken: async () => {
      throw new Error('gateway enrollment is not wired');
    },
    authenticateDevice: async () => undefined,
    revokeUserDevices: async () => 0,
    posture: async () => ({ verdict: 'unknown', failed_checks: [], checked_at: null }),
    enrollmentPolicy: async () => ({}),
    revokeSpcs: async () => {},
    allowedDestinations: async () => [],
    trustAnchors: async () => ({ serial: 0, anchors: [] }),
    spcBundle: async () => ({ serial: 0, revoked: [], signer_kids: [] }),
    channelBundle: async () => undefined,
    validateSpc: async () => ({ valid: false, reason: 'unknown_kid', claims: null }),
    spcStatus: async () => null,
    gatewayCaller: async () => undefined,
    enrollmentGateways: async () => ({}),
    closeSessions: async () => {},
    callerTenant: async () => DEFAULT_TENANT_ID,
    tenantActive: async () => true,
    checkEntitlement: async () => {},
  };
}

/**
 * The access services, wired by hand once per core so routes, jobs and background work share one instance. Each
 * part creates its service here and fills the hooks it provides (access.types.ts).
 */
function createAccessServices(core: Core) {
  const hooks = defaultHooks();
  const enrollment = createEnrollmentPart(core, hooks);
  // Device and gateway bearer resolution for every part's device and gateway routes (common/caller.ts).
  const callers = enrollment.callers;
  hooks.authenticateDevice = async (authorization) =>
    (await callers.device({ headers: { authorization }, cookies: {} }, { allowSuspended: true }).catch(() => undefined))?.device;
  const policy = createPolicyService(core, hooks);
  providePolicyHooks(hooks, policy);
  const gateways = createGatewaysPart(core, hooks);
  const tenants = createTenantsPart(core, hooks);
  return { core, hooks, enrollment, callers, policy, gateways, tenants };
}

export type AccessServices = ReturnType<typeof createAccessServices>;

const byCore = new WeakMap<Core, AccessServices>();

export function accessServices(core: Core): AccessServices {
  let services = byCore.get(core);
  if (!services) byCore.set(core, (services = createAccessServices(core)));
  return services;
}

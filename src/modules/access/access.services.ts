import type { Core } from '../../core/index.js';
import { DEFAULT_TENANT_ID, type AccessHooks } from './access.types.js';
import { createEnrollmentPart } from './enrollment/enrollment.part.js';
import { createPolicyService, providePolicyHooks } from './policy/policy.service.js';
import { createGatewaysPart } from './gateways/gateways.part.js';
import { createTenantsPart } from './tenants/tenants.part.js';
import { createAuditPart } from './audit/audit.part.js';
import { toAccessDevice } from './enrollment/device.types.js';
import { createUpdatesPart } from './updates/update.service.js';

/** The overlap a playbook's or workflow's signer rotation gives the retiring signer (the route's default). */
const ROTATE_OVERLAP_S = 7 * 86_400;

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
    tenantIds: async () => [DEFAULT_TENANT_ID],
    checkEntitlement: async () => {},
    openSessions: async () => [],
    userDevices: async () => [],
    revokeDevices: async () => {
      throw new Error('device revocation is not wired');
    },
    rotateSigners: async () => {
      throw new Error('signer rotation is not wired');
    },
    deviceCounts: async () => ({ pending: 0, active: 0, suspended: 0, revoked: 0 }),
    expireTokens: async () => [],
    pruneSessions: async () => 0,
    recomputeUsage: async () => ({ sessions_checked: 0, sessions_adjusted: 0, bytes_rx_added: 0, bytes_tx_added: 0 }),
    gatewayHealth: async () => ({ pools: [], gateways: [] }),
    connectionTruthSummary: async () => ({ consistent: 0, ghost_session: 0, missing_session: 0, revoked_but_connected: 0 }),
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
  // The hooks the audit part's playbooks use, over the other parts' services.
  hooks.userDevices = async (userId) => (await enrollment.devices.liveOfUser(userId)).map(toAccessDevice);
  hooks.revokeDevices = async (ids, reason) => {
    for (const id of ids) await enrollment.devices.lifecycle({ action: 'revoke', device_id: id, reason });
  };
  hooks.rotateSigners = async (tenantId) => {
    const { retiring, active } = await policy.rotateAnchors(tenantId, ROTATE_OVERLAP_S);
    return { retiring, active };
  };
  hooks.openSessions = async (tenantId, ids) => {
    const wanted = new Set(ids);
    return (await gateways.sessions.liveOrReported(tenantId)).filter((s) => s.state === 'active' && wanted.has(s.device_id)).map((s) => s.id);
  };
  hooks.deviceCounts = (tenantId) => enrollment.devices.countsByStatus(tenantId);
  hooks.gatewayHealth = (tenantId) => gateways.gateways.health(tenantId);
  hooks.expireTokens = (tenantId, before, dryRun) => enrollment.tokens.expireLive(tenantId, before, dryRun);
  hooks.pruneSessions = (tenantId, before, dryRun) => gateways.sessions.pruneClosed(tenantId, before, dryRun);
  hooks.recomputeUsage = (tenantId, dryRun) => gateways.sessions.recomputeUsage(tenantId, dryRun);
  hooks.connectionTruthSummary = async (tenantId) => (await gateways.connectionTruth(tenantId)).summary;
  const audit = createAuditPart(core, hooks);
  const updates = createUpdatesPart(core, hooks);
  return { core, hooks, enrollment, callers, policy, gateways, tenants, audit, updates };
}

export type AccessServices = ReturnType<typeof createAccessServices>;

const byCore = new WeakMap<Core, AccessServices>();

export function accessServices(core: Core): AccessServices {
  let services = byCore.get(core);
  if (!services) byCore.set(core, (services = createAccessServices(core)));
  return services;
}

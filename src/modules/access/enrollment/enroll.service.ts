import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { DEFAULT_TENANT_ID, type AccessHooks, type Channel } from '../access.types.js';
import { identityTenant } from '../common/tenant-scope.js';
import type { DeviceService } from './device.service.js';
import { toAccessDevice, type DeviceInfo } from './device.types.js';
import type { EnrolledVia } from './enrollment.tables.js';
import type { TokenService } from './token.service.js';

export interface EnrollRequest {
  public_key: string;
  device: DeviceInfo;
}

/** Who the device belongs to and how it proved it, once a token or an IdP has vouched for it. */
interface Admission {
  tenant_id: string;
  user_id: string | null;
  via: EnrolledVia;
  token_id: string | null;
  auto_group_ids: string[];
  channel: Channel | null;
  pending?: boolean;
}

/**
 * Enrollment: a token (POST /v1/enroll) or an identity provider (OIDC, SAML) vouches for a device; it gets an
 * id, an overlay address and its bearer credential (device_token, shown once), and the policy and gateways parts
 * add trust anchors, its SPC, policy digest and pools to the answer. Runs inside the route's transaction, so a
 * refusal anywhere (an entitlement, a hook) leaves no device and spends no token use.
 */
export function createEnrollService(core: Core, tokens: TokenService, devices: DeviceService, hooks: AccessHooks) {
  /** The token's user: the one it is bound to, else its tenant's user with the bound email. */
  async function userOf(tenantId: string, id: string | null, email: string | null): Promise<string | null> {
    if (id) return id;
    if (!email) return null;
    return (await core.identity.users.findByEmail(email, identityTenant(tenantId)))?.id ?? null;
  }

  async function complete(admission: Admission, req: EnrollRequest) {
    if (!(await hooks.tenantActive(admission.tenant_id))) throw errors.forbidden('the tenant is suspended');
    // The licence's limits with the tenant's overrides, and access.max_devices (tenants/ resolves them).
    await hooks.checkEntitlement(admission.tenant_id, 'devices', admission.user_id);
    if (admission.user_id) {
      const user = await core.identity.users.get(admission.user_id);
      if (user.status !== 'active') throw errors.forbidden(`the device's user is ${user.status}`);
    }
    const { row, device_token } = await devices.create({
      tenant_id: admission.tenant_id, user_id: admission.user_id, info: req.device, public_key: req.public_key,
      channel: admission.channel ?? 'stable', enrolled_via: admission.via, enrollment_token_id: admission.token_id, auto_group_ids: admission.auto_group_ids,
      pending: admission.pending,
    });
    const device = toAccessDevice(row);
    const policy = await hooks.enrollmentPolicy(device);
    const gateways = await hooks.enrollmentGateways(device);
    await devices.changed({ tenant_id: device.tenant_id, reason: 'device', device_ids: [device.id] });
    return {
      device_id: device.id, device_token, tenant_id: device.tenant_id, user_id: device.user_id, overlay_ip: device.overlay_ip,
      overlay_cidr: core.config.access.overlay_cidr, status: device.status, channel: device.channel, ...policy, ...gateways,
    };
  }

  return {
    async withToken(secret: string, req: EnrollRequest) {
      const t = await tokens.redeem(secret, 'device');
      const user_id = await userOf(t.tenant_id, t.bound_user_id, t.bound_email);
      if (t.bound_email && !user_id) throw errors.forbidden('the token is bound to an email no user has');
      return complete({ tenant_id: t.tenant_id, user_id, via: 'token', token_id: t.token_id, auto_group_ids: t.auto_group_ids, channel: t.channel, pending: t.approval_required }, req);
    },

    /** The IdP named who is enrolling (OIDC code exchange or a verified SAML assertion): the device is theirs. */
    async forUser(userId: string, via: EnrolledVia, req: EnrollRequest, tenantId: string = DEFAULT_TENANT_ID) {
      return complete({ tenant_id: tenantId, user_id: userId, via, token_id: null, auto_group_ids: [], channel: null }, req);
    },
  };
}

export type EnrollService = ReturnType<typeof createEnrollService>;

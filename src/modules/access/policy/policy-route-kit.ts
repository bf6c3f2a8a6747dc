import type { Core } from '../../../core/index.js';
import { principalOf, type RouteContext } from '../../../http/route.js';
import { accessServices } from '../access.services.js';

export const tags = ['access-policy'];
export const surface = 'access' as const;

/** Who published: the principal as `<type>:<id>`. */
export const actor = (ctx: RouteContext<any>) => {
  const p = principalOf(ctx);
  return `${p.type}:${p.id}`;
};

/** The policy part's services and the callers its device, gateway and admin routes resolve. */
export function policyCallers(core: Core) {
  const { policy, callers, hooks } = accessServices(core);
  /** The calling device (401 without a device token, 403 when suspended or pending). */
  const device = async (ctx: RouteContext<any>) => (await callers.device(ctx)).device;
  /** The calling device, which must be active. */
  const activeDevice = async (ctx: RouteContext<any>) => {
    const d = (await callers.device(ctx)).device;
    policy.requireActive(d);
    return d;
  };
  /** A device, a gateway, or an admin principal holding the permission: the tenant to answer for. */
  const callerTenant = async (ctx: RouteContext<any>, adminPermission: string) => {
    const caller = await callers.any(ctx, { device: true, gateway: true, adminPermission });
    return caller.kind === 'device' ? caller.device.tenant_id : caller.kind === 'gateway' ? caller.tenant_id : hooks.callerTenant(caller.principal);
  };
  /** The tenant an admin route answers for: the caller's own. */
  const adminTenant = (ctx: RouteContext<any>) => hooks.callerTenant(principalOf(ctx));
  return { policy, hooks, device, activeDevice, callerTenant, adminTenant };
}

import { principalOf, type RouteContext } from '../../../http/route.js';
import type { AccessHooks } from '../access.types.js';

/**
 * The tenant an admin route answers for: the caller's own (tenants/ resolves it; 403 when that tenant is suspended).
 * Every admin list and get filters by it, so a caller never sees another tenant's rows.
 */
export function callerTenant(hooks: AccessHooks, ctx: RouteContext<any>): Promise<string> {
  return hooks.callerTenant(principalOf(ctx));
}

import { principalOf, type RouteContext } from '../../../http/route.js';
import { DEFAULT_TENANT_ID, type AccessHooks } from '../access.types.js';

/**
 * The tenant an admin route answers for: the caller's own (tenants/ resolves it; 403 when that tenant is suspended).
 * Every admin list and get filters by it, so a caller never sees another tenant's rows.
 */
export function callerTenant(hooks: AccessHooks, ctx: RouteContext<any>): Promise<string> {
  return hooks.callerTenant(principalOf(ctx));
}

/**
 * The identity core keeps each user's and group's tenant with the default tenant as null (core/tenancy), which is
 * also the scope of the default tenant's administrators (they see every tenant's users): these convert both ways.
 */
export const identityTenant = (tenantId: string): string | null => (tenantId === DEFAULT_TENANT_ID ? null : tenantId);
export const accessTenant = (identity: string | null): string => identity ?? DEFAULT_TENANT_ID;

import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import type { TenantScope } from '../../../core/tenancy/tenancy.js';
import { principalOf, type RouteContext } from '../../../http/route.js';

/**
 * The access surface's identity routes act within the caller's tenant (core/tenancy): another tenant's user, group
 * or API key answers exactly as one that does not exist (404 with the same detail), so its existence does not leak.
 */
export const callerScope = (core: Core, ctx: RouteContext<any>): Promise<TenantScope> => core.tenancy.scopeOf(principalOf(ctx));

/** The caller's scope, after checking the user is in it (404 otherwise, as for an unknown id). */
export async function userInScope(core: Core, ctx: RouteContext<any>, userId: string): Promise<TenantScope> {
  const scope = await callerScope(core, ctx);
  if (scope !== null && (await core.identity.users.tenantOf(userId)) !== scope) throw errors.notFound(`user ${userId} not found`);
  return scope;
}

/** The caller's scope, after checking the group is in it (404 otherwise). */
export async function groupInScope(core: Core, ctx: RouteContext<any>, groupId: string): Promise<TenantScope> {
  const scope = await callerScope(core, ctx);
  if (scope !== null && (await core.identity.groups.tenantOf(groupId)) !== scope) throw errors.notFound(`group ${groupId} not found`);
  return scope;
}

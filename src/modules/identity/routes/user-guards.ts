import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { hasPermission, type Principal } from '../../../core/principal.js';
import type { RouteContext } from '../../../http/route.js';
import { principalOf } from './common.js';

/**
 * Checks the user-management routes share beyond their declared permission: operators must not lock themselves
 * out, and must not hand out more than they hold.
 */

/** Deleting, suspending or disabling one's own account is refused (400): it would end the caller's access. */
export function assertNotSelf(ctx: RouteContext<any>, userId: string, what: string): void {
  const p = principalOf(ctx);
  if (p.type === 'user' && p.id === userId) throw errors.badRequest(`you cannot ${what} your own account`);
}

/**
 * Granting a role hands over its permissions, so the granter must hold every one of them (403 otherwise):
 * role:assign alone does not make someone an administrator. Unknown roles are 404.
 */
export async function assertCanGrant(core: Core, principal: Principal, roleIdsOrNames: string[]): Promise<void> {
  for (const idOrName of roleIdsOrNames) {
    const role = await core.identity.rbac.getRole(idOrName);
    const missing = role.permissions.find((p) => !hasPermission(principal, p));
    if (missing) throw errors.forbidden(`granting role ${role.name} needs ${missing}, which you do not hold`);
  }
}

/** Defining a role with permissions beyond one's own would be a way to get them (403). */
export function assertHolds(principal: Principal, permissions: string[]): void {
  const missing = permissions.find((p) => !hasPermission(principal, p));
  if (missing) throw errors.forbidden(`a role you define cannot grant ${missing}, which you do not hold`);
}


import { errors } from '../../errors.js';
import { hasPermission, type Principal } from '../../principal.js';
import type { Role } from '../../rbac/rbac.types.js';

/**
 * Checks every surface's user management makes beyond a route's declared permission: operators must not lock
 * themselves out, and must not hand out more than they hold.
 */

/** Deleting, suspending or disabling one's own account is refused (400): it would end the caller's access. */
export function assertNotSelf(principal: Principal, userId: string, what: string): void {
  if (principal.type === 'user' && principal.id === userId) throw errors.badRequest(`you cannot ${what} your own account`);
}

/**
 * Granting a role hands over its permissions, so the granter must hold every one of them (403 otherwise):
 * role:assign alone does not make someone an administrator. Unknown roles are 404.
 */
export async function assertCanGrant(roles: { getRole(idOrName: string): Promise<Role> }, principal: Principal, roleIdsOrNames: string[]): Promise<void> {
  for (const idOrName of roleIdsOrNames) {
    const role = await roles.getRole(idOrName);
    const missing = role.permissions.find((p) => !hasPermission(principal, p));
    if (missing) throw errors.forbidden(`granting role ${role.name} needs ${missing}, which you do not hold`);
  }
}

/** Defining a role with permissions beyond one's own would be a way to get them (403). */
export function assertHolds(principal: Principal, permissions: string[]): void {
  const missing = permissions.find((p) => !hasPermission(principal, p));
  if (missing) throw errors.forbidden(`a role you define cannot grant ${missing}, which you do not hold`);
}

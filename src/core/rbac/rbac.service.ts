import { createPermissionRegistry } from './permission-registry.js';
import { notYet } from '../identity/not-yet.js';
import type { IdentityDeps } from '../identity/index.js';
import type { RbacService } from '../identity/identity.types.js';

export function createRbac(deps: IdentityDeps): RbacService {
  // TODO(helper A): roles store and service
  return { ...notYet<RbacService>('rbac'), registry: createPermissionRegistry(), ensureBuiltinRoles: async () => {} };
}

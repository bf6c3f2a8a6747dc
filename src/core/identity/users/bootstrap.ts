import type { IdentityDeps } from '../index.js';
import type { Identity, RbacService, UserService } from '../identity.types.js';

export function bootstrapAdmin(deps: IdentityDeps & { users: UserService; rbac: RbacService }): ReturnType<Identity['bootstrap']> {
  // TODO(helper A)
  return Promise.resolve(null);
}

import { notYet } from '../not-yet.js';
import type { IdentityDeps } from '../index.js';
import type { RbacService, SessionService, SsoService, UserService } from '../identity.types.js';

export function createSsoService(deps: IdentityDeps & { users: UserService; rbac: RbacService; sessions: SessionService }): SsoService {
  // TODO(helper D): sso
  return notYet<SsoService>('sso');
}

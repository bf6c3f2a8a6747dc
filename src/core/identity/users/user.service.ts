import { notYet } from '../not-yet.js';
import type { IdentityDeps } from '../index.js';
import type { Passwords, RbacService, UserService } from '../identity.types.js';

export interface UserServiceDeps extends IdentityDeps {
  passwords: Passwords;
  rbac: RbacService;
  endSessions(userId: string, reason: string, exceptSessionId?: string): Promise<number>;
}

export function createUserService(deps: UserServiceDeps): UserService {
  // TODO(helper A): users
  return notYet<UserService>('users');
}

import { notYet } from '../not-yet.js';
import type { IdentityDeps } from '../index.js';
import type { Keyset, LoginService, MfaService, Passwords, SessionService, UserService } from '../identity.types.js';
import type { Lockout } from './lockout.js';

export interface LoginDeps extends IdentityDeps {
  users: UserService;
  passwords: Passwords;
  lockout: Lockout;
  mfa: MfaService;
  sessions: SessionService;
  keyset: Keyset;
}

export function createLoginService(deps: LoginDeps): LoginService {
  // TODO(helper B): login
  return notYet<LoginService>('login');
}

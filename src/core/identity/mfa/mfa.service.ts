import { notYet } from '../not-yet.js';
import type { IdentityDeps } from '../index.js';
import type { MfaService, UserService } from '../identity.types.js';

export function createMfaService(deps: IdentityDeps & { users: UserService }): MfaService {
  // TODO(helper E): mfa
  return notYet<MfaService>('mfa');
}

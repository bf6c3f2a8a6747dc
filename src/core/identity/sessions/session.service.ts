import { notYet } from '../not-yet.js';
import type { IdentityDeps } from '../index.js';
import type { AuthSettingsService, Keyset, SessionService } from '../identity.types.js';

export function createSessionService(deps: IdentityDeps & { keyset: Keyset; settings: AuthSettingsService }): SessionService {
  // TODO(helper B): sessions
  return notYet<SessionService>('sessions');
}

import { notYet } from '../not-yet.js';
import type { IdentityDeps } from '../index.js';
import type { AuthSettingsService } from '../identity.types.js';

export function createAuthSettings(deps: IdentityDeps): AuthSettingsService {
  // TODO(helper C): auth settings
  return notYet<AuthSettingsService>('auth settings');
}

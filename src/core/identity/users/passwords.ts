import { notYet } from '../not-yet.js';
import type { RampartConfig } from '../../config/schema.js';
import type { AuthSettingsService, Passwords } from '../identity.types.js';

export function createPasswords(config: RampartConfig['auth'], settings: AuthSettingsService): Passwords {
  // TODO(helper A): passwords
  return notYet<Passwords>('passwords');
}

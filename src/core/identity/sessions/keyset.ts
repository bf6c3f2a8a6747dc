import { notYet } from '../not-yet.js';
import type { IdentityDeps } from '../index.js';
import type { Keyset } from '../identity.types.js';

export function createKeyset(deps: IdentityDeps): Keyset {
  // TODO(helper B): keyset
  return notYet<Keyset>('keyset');
}

import { notYet } from '../not-yet.js';
import type { IdentityDeps } from '../index.js';
import type { GroupService } from '../identity.types.js';

export function createGroupService(deps: IdentityDeps): GroupService {
  // TODO(helper A): groups
  return notYet<GroupService>('groups');
}

import { errors } from '../errors.js';
import type { RoleStore } from './role.store.js';

/**
 * Refuses (409) a change that would make an active administrator stop being one when no other active
 * administrator is left: nobody could then manage users or roles without editing the database. Call it before
 * removing the admin role from a user, or suspending, disabling or deleting one.
 */
export async function assertNotLastAdmin(store: RoleStore, userId: string): Promise<void> {
  if (!(await store.isActiveHolder('admin', userId))) return;
  if ((await store.countActiveHolders('admin', userId)) === 0) {
    throw errors.conflict('this is the last active administrator; make another user admin first');
  }
}

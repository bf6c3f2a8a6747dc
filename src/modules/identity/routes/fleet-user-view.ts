import { z } from 'zod';
import type { User } from '../../../core/identity/identity.types.js';
import { userView } from './common.js';

/**
 * The user as OpenWatch's UI reads it: Rampart's user plus disabled_at (set while the account is not active) and
 * last_password_change_at. The core keeps no separate "disabled since" time, so disabled_at is the last change
 * of the row while it is not active (the status change itself, unless the row was edited later).
 */
export const fleetUserView = userView.extend({
  disabled_at: z.string().nullable(),
  last_password_change_at: z.string().nullable(),
});

export type FleetUser = z.output<typeof fleetUserView>;

export function fleetUser(user: User): FleetUser {
  const { password_changed_at, ...rest } = user;
  return {
    ...rest,
    disabled_at: user.status === 'active' ? null : user.updated_at,
    last_password_change_at: password_changed_at,
  };
}

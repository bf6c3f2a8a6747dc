import { z } from 'zod';
import type { User, UserService } from '../../../core/identity/identity.types.js';
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

/** The fleet shape of several users, their password times read in one query. */
export async function fleetUsers(users: UserService, list: User[]): Promise<FleetUser[]> {
  const changedAt = await users.passwordChangedAt(list.map((u) => u.id));
  return list.map((user) => ({
    ...user,
    disabled_at: user.status === 'active' ? null : user.updated_at,
    last_password_change_at: changedAt.get(user.id) ?? null,
  }));
}

export async function fleetUser(users: UserService, user: User): Promise<FleetUser> {
  return (await fleetUsers(users, [user]))[0]!;
}

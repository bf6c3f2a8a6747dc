import { randomInt } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRampartError } from '../../errors.js';
import type { IdentityDeps } from '../index.js';
import type { Identity, RbacService, UserService } from '../identity.types.js';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random password from an alphabet without look-alikes (about 5.8 bits a character). */
export function randomPassword(length = 24): string {
  return Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

/**
 * First start: with no users at all, creates `admin` with a random password and writes it 0600 to
 * <data_dir>/initial-admin-password. When two nodes start together, the one whose insert loses (409 on the
 * username) returns null: the other one created the administrator.
 */
export async function bootstrapAdmin(deps: IdentityDeps & { users: UserService; rbac: RbacService }): ReturnType<Identity['bootstrap']> {
  const { total } = await deps.users.list({ limit: 1, offset: 0 });
  if (total > 0) return null;
  const password = randomPassword(Math.max(24, deps.config.auth.password_min_length));
  try {
    await deps.users.create({ username: 'admin', email: null, password, roles: ['admin'], must_change_password: true });
  } catch (err) {
    if (isRampartError(err) && err.status === 409) return null;
    throw err;
  }
  const file = join(deps.config.data_dir, 'initial-admin-password');
  writeFileSync(
    file,
    `${password}\n\nThe password of the first Rampart administrator (user "admin"). Delete this file once you have changed the password.\n`,
    { mode: 0o600 },
  );
  chmodSync(file, 0o600); // mode applies only when the file is new; a leftover file must not stay readable

  deps.logger.info({ file }, 'created the first administrator');
  return { username: 'admin', password, file };
}

import { randomBytes } from 'node:crypto';
import type { User } from '../../src/core/identity/identity.types.js';
import type { TestRampart } from './app.js';

export const DEFAULT_PASSWORD = 'correct horse battery staple';

export interface SignInOptions {
  /** Role names to assign (built-in or custom). */
  roles?: string[];
  /** Permissions for a custom role made just for this user. */
  permissions?: string[];
  username?: string;
  password?: string;
}

export interface SignedIn {
  user: User;
  /** The access token (a bearer JWT). */
  token: string;
  refreshToken: string;
  password: string;
  headers: { authorization: string };
  sessionId: string;
}

const randomName = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;

/** Creates a user with the roles (and a custom role of the permissions) asked for, and opens a session for it. */
export async function signIn(r: TestRampart, opts: SignInOptions = {}): Promise<SignedIn> {
  const identity = r.core.identity;
  const password = opts.password ?? DEFAULT_PASSWORD;
  const roles = [...(opts.roles ?? [])];
  if (opts.permissions) {
    const role = await identity.rbac.createRole({ name: randomName('role'), permissions: opts.permissions });
    roles.push(role.name);
  }
  const created = await identity.users.create({ username: opts.username ?? randomName('user'), password, roles });
  const user = await identity.users.get(created.id);
  const pair = await identity.sessions.open(user.id, { method: 'password', clientIp: '127.0.0.1', userAgent: 'test' });
  return {
    user,
    token: pair.access_token,
    refreshToken: pair.refresh_token,
    password,
    headers: { authorization: `Bearer ${pair.access_token}` },
    sessionId: pair.session_id,
  };
}

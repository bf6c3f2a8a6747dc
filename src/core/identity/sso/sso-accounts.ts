import { errors } from '../../errors.js';
import type { User, UserService } from '../identity.types.js';
import type { SsoClaims } from './role-mapping.js';
import type { SsoStore } from './sso.store.js';

/**
 * The Rampart user behind an SSO login: the one linked to (provider, subject); else the user with the same
 * address when the provider verified it (linked now); else a new user without a password.
 */
export function createSsoAccounts(deps: { users: UserService; store: SsoStore; now: () => Date }) {
  const { users, store } = deps;

  async function linked(providerId: string, subject: string): Promise<User | undefined> {
    const identity = await store.findIdentity(providerId, subject);
    return identity && users.get(identity.user_id);
  }

  async function link(providerId: string, claims: SsoClaims, userId: string) {
    const at = deps.now().toISOString();
    await store.linkIdentity({ provider_id: providerId, subject: claims.subject, user_id: userId, email: claims.email, created_at: at, last_login_at: at });
  }

  async function create(claims: SsoClaims, role: string): Promise<User> {
    if (claims.email && (await users.findByEmail(claims.email))) {
      // Linking on an address the provider did not vouch for would hand that account to whoever typed it.
      throw errors.conflict('an account with this email already exists, and the provider did not verify the address, so it cannot be linked');
    }
    return users.create({ username: await freeUsername(claims), email: claims.email, display_name: claims.name, roles: [role] });
  }

  async function freeUsername(claims: SsoClaims): Promise<string> {
    const base = usernameBase(claims);
    for (let n = 1; n <= 50; n++) {
      const candidate = n === 1 ? base : `${base}-${n}`;
      if (!(await users.findRowByUsername(candidate))) return candidate;
    }
    return `${base}-${Date.now().toString(36)}`;
  }

  return {
    /** The account behind an earlier login through this provider, without creating or linking anything. */
    linked,

    async resolve(providerId: string, claims: SsoClaims, role: string): Promise<User> {
      const known = await linked(providerId, claims.subject);
      if (known) {
        await store.touchIdentity(providerId, claims.subject, claims.email, deps.now().toISOString());
        return known;
      }
      const byEmail = claims.email && claims.emailVerified === true ? await users.findByEmail(claims.email) : undefined;
      const user = byEmail ?? (await create(claims, role));
      await link(providerId, claims, user.id);
      return user;
    },
  };
}

/** preferred_username, else the address's local part, else the name; lower case, letters digits . _ - only. */
function usernameBase(claims: SsoClaims): string {
  const raw = claims.username ?? claims.email?.split('@')[0] ?? claims.name ?? 'sso-user';
  const clean = raw
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-._]+|[-._]+$/g, '')
    .slice(0, 48);
  return clean || 'sso-user';
}

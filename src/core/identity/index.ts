import { aifwPermissionBits } from '../rbac/aifw-permission-bits.js';
import type { RampartConfig } from '../config/schema.js';
import type { Database } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { createRbac } from '../rbac/rbac.service.js';
import { createApiKeyService } from './api-keys/api-key.service.js';
import { createMfaService } from './mfa/mfa.service.js';
import { createServiceAccountService } from './service-accounts/service-account.service.js';
import { createAuthenticator } from './sessions/authenticator.js';
import { createKeyset } from './sessions/keyset.js';
import { createLockout } from './sessions/lockout.js';
import { createLoginService } from './sessions/login.service.js';
import { createSessionService } from './sessions/session.service.js';
import { createTickets } from './sessions/tickets.js';
import { createAuthSettings } from './settings/auth-settings.service.js';
import { createSsoService } from './sso/sso.service.js';
import { bootstrapAdmin } from './users/bootstrap.js';
import { createGroupService } from './users/group.service.js';
import { createPasswords } from './users/passwords.js';
import { createUserService } from './users/user.service.js';
import type { Identity, SessionService } from './identity.types.js';

/** What every identity service may draw on; each factory takes the part it needs. */
export interface IdentityDeps {
  config: RampartConfig;
  db: Database;
  events: EventBus;
  secrets: SecretBox;
  logger: Logger;
  now: () => Date;
}

/** What a UI decodes from an access token: AiFw's username, role and perm bits (informative, re-read on use). */
async function decodableClaims(users: ReturnType<typeof createUserService>, rbac: ReturnType<typeof createRbac>, userId: string): Promise<Record<string, unknown>> {
  const [user, access] = await Promise.all([users.get(userId), rbac.userAccess(userId)]);
  return { username: user.username, role: access.roles[0] ?? null, perm: aifwPermissionBits(rbac.registry.expand(access.permissions)) };
}

/** Users, roles, tokens, sessions, MFA, keys, service accounts and SSO, wired by hand. */
export function createIdentity(deps: IdentityDeps): Identity {
  const settings = createAuthSettings(deps);
  const passwords = createPasswords(deps.config.auth, settings);
  const rbac = createRbac(deps);
  // Users end sessions when suspended; sessions are built after users, so the call is bound late.
  let sessions: SessionService | undefined;
  const users = createUserService({
    ...deps,
    passwords,
    rbac,
    endSessions: (userId, reason, exceptSessionId) => sessions!.revokeAllForUser(userId, reason, exceptSessionId),
  });
  const groups = createGroupService(deps);
  const keyset = createKeyset(deps);
  sessions = createSessionService({ ...deps, keyset, settings, accessClaims: (id) => decodableClaims(users, rbac, id) });
  const mfa = createMfaService({ ...deps, users });
  const lockout = createLockout({ ...deps, settings });
  const login = createLoginService({ ...deps, users, passwords, lockout, mfa, sessions, keyset });
  const tickets = createTickets(deps);
  const apiKeys = createApiKeyService({ ...deps, rbac });
  const serviceAccounts = createServiceAccountService({ ...deps, keyset, rbac });
  const sso = createSsoService({ ...deps, users, rbac, sessions });
  const authenticator = createAuthenticator({ ...deps, keyset, sessions, users, rbac, apiKeys, serviceAccounts, tickets });
  return {
    rbac,
    users,
    groups,
    passwords,
    settings,
    keyset,
    sessions,
    login,
    mfa,
    tickets,
    apiKeys,
    serviceAccounts,
    sso,
    authenticator,
    bootstrap: () => bootstrapAdmin({ ...deps, users, rbac }),
  };
}

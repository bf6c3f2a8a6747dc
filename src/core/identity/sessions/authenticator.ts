import type { IdentityDeps } from '../index.js';
import type { ApiKeyService, Authenticator, Keyset, RbacService, ServiceAccountService, SessionService, Tickets, UserService } from '../identity.types.js';

export interface AuthenticatorDeps extends IdentityDeps {
  keyset: Keyset;
  sessions: SessionService;
  users: UserService;
  rbac: RbacService;
  apiKeys: ApiKeyService;
  serviceAccounts: ServiceAccountService;
  tickets: Tickets;
}

export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  // TODO(helper B): authenticator
  return { authenticate: async () => null };
}

import { performance } from 'node:perf_hooks';
import { errors } from '../../errors.js';
import type { Principal } from '../../principal.js';
import type { IdentityDeps } from '../index.js';
import {
  IDENTITY_CHANGED,
  SESSION_COOKIES,
  type ApiKeyService,
  type Authenticator,
  type Credentials,
  type IdentityChange,
  type Keyset,
  type RbacService,
  type ServiceAccountService,
  type SessionService,
  type Tickets,
  type TokenClaims,
  type UserService,
} from '../identity.types.js';

export interface AuthenticatorDeps extends IdentityDeps {
  keyset: Keyset;
  sessions: SessionService;
  users: UserService;
  rbac: RbacService;
  apiKeys: ApiKeyService;
  serviceAccounts: ServiceAccountService;
  tickets: Tickets;
}

/** Sessions whose principal is kept in memory at most; beyond it the oldest entry goes. */
export const PRINCIPAL_CACHE_MAX = 10_000;
/** A cached principal is used for at most this long, even if no event says it changed. */
const PRINCIPAL_CACHE_TTL_MS = 30_000;
/** The token types that stand for a user's login session. */
const SESSION_TOKEN_TYPES = new Set(['access', 'session']);

interface CachedPrincipal {
  principal: Principal;
  sessionExpiresAt: number;
  cachedAt: number;
}

/** A cached user principal with how this request presented it. Built field by field: a spread costs more here. */
const withCredential = (p: Principal, via: 'bearer' | 'cookie', expiresAt: number | null): Principal => ({
  type: p.type,
  id: p.id,
  name: p.name,
  email: p.email,
  roles: p.roles,
  permissions: p.permissions,
  sessionId: p.sessionId,
  via,
  expiresAt,
});

const invalidToken = () => errors.unauthorized('invalid or expired token');
const OPENWATCH_TOKEN_PREFIX = 'owk_';
const sessionEnded = () => errors.unauthorized('session expired or revoked');

/**
 * Resolves the principal of a request's credentials: a bearer JWT (user session or service account), an API key,
 * a session cookie or a stream ticket. A JWT's expiry is checked on every request, its signature once per token
 * (the keyset remembers verified tokens until its keys change); the session and user behind it are read from the
 * database once and then cached per session, and IDENTITY_CHANGED (which reaches every node) drops the entries it
 * concerns, so a revoked session or suspended user stops at once.
 */
export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  const cache = new Map<string, CachedPrincipal>();
  // Bumped on every change, so a lookup that started before one does not cache what it read.
  let generation = 0;

  deps.events.subscribe(IDENTITY_CHANGED, (event) => {
    const change = event.payload as IdentityChange;
    generation++;
    if (change.all) return cache.clear();
    if (change.session_id) cache.delete(change.session_id);
    if (change.user_id) for (const [sid, entry] of cache) if (entry.principal.id === change.user_id) cache.delete(sid);
  });

  async function loadUserPrincipal(sessionId: string, userId: string): Promise<CachedPrincipal> {
    const session = await deps.sessions.get(sessionId);
    if (!session || session.revoked_at !== null || session.user_id !== userId) throw sessionEnded();
    const sessionExpiresAt = Date.parse(session.expires_at);
    if (sessionExpiresAt <= deps.now().getTime()) throw sessionEnded();
    const user = await deps.users.get(userId).catch(() => undefined);
    if (user?.status !== 'active') throw sessionEnded();
    const access = await deps.rbac.userAccess(user.id);
    const principal: Principal = {
      type: 'user',
      id: user.id,
      name: user.username,
      email: user.email,
      roles: access.roles,
      permissions: access.permissions,
      sessionId,
    };
    return { principal, sessionExpiresAt, cachedAt: performance.now() };
  }

  async function userPrincipal(sessionId: string, userId: string): Promise<Principal> {
    const hit = cache.get(sessionId);
    if (hit && hit.principal.id === userId && performance.now() - hit.cachedAt < PRINCIPAL_CACHE_TTL_MS && hit.sessionExpiresAt > deps.now().getTime()) {
      return hit.principal;
    }
    const startedAt = generation;
    const entry = await loadUserPrincipal(sessionId, userId);
    if (startedAt === generation) {
      cache.delete(sessionId);
      if (cache.size >= PRINCIPAL_CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(sessionId, entry);
    }
    return entry.principal;
  }

  async function fromJwt(token: string, via: 'bearer' | 'cookie'): Promise<Principal> {
    const claims: TokenClaims = await deps.keyset.verify(token);
    const expiresAt = claims.exp ?? null;
    if (claims.sa_id) {
      const principal = await deps.serviceAccounts.principalFor(claims);
      if (!principal) throw invalidToken();
      return { ...principal, via, expiresAt };
    }
    if (!SESSION_TOKEN_TYPES.has(claims.typ ?? '') || typeof claims.sid !== 'string') throw invalidToken();
    return withCredential(await userPrincipal(claims.sid, claims.sub), via, expiresAt);
  }

  async function fromAuthorization(header: string): Promise<Principal> {
    // "<scheme> <credential>", split by hand: this runs on every request.
    const value = header.trim();
    const space = value.indexOf(' ');
    const credential = space > 0 ? value.slice(space + 1).trimStart() : '';
    if (!credential || credential.includes(' ')) throw errors.unauthorized('malformed Authorization header');
    switch (value.slice(0, space).toLowerCase()) {
      case 'bearer':
        // OpenWatch's API tokens (owk_...) travel as bearer credentials; a JWT never starts that way.
        if (credential.startsWith(OPENWATCH_TOKEN_PREFIX)) return apiKey(credential);
        return fromJwt(credential, 'bearer');
      case 'apikey':
        return apiKey(credential);
      default:
        throw errors.unauthorized('unsupported Authorization scheme; use Bearer or ApiKey');
    }
  }

  async function apiKey(credential: string): Promise<Principal> {
    const principal = await deps.apiKeys.authenticate(credential);
    if (!principal) throw errors.unauthorized('invalid, expired or revoked API key');
    return principal;
  }

  return {
    async authenticate(credentials: Credentials) {
      if (credentials.queryToken) {
        throw errors.unauthorized('tokens are not accepted in the query string; use the Authorization header or a ticket');
      }
      if (credentials.authorization !== undefined) return fromAuthorization(credentials.authorization);
      // A ticket is asked for explicitly in the URL, so it wins over a cookie the browser sends along anyway.
      if (credentials.ticket !== undefined) {
        const principal = deps.tickets.consume(credentials.ticket);
        if (!principal) throw errors.unauthorized('invalid, used or expired ticket');
        return principal;
      }
      for (const name of SESSION_COOKIES) {
        const cookie = credentials.cookies[name];
        if (cookie) return fromJwt(cookie, 'cookie');
      }
      return null;
    },
  };
}

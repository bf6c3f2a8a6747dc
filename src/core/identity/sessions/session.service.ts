import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { errors, RampartError } from '../../errors.js';
import type { IdentityDeps } from '../index.js';
import type { SessionRow } from '../identity.tables.js';
import {
  IDENTITY_CHANGED,
  type AuthSettings,
  type AuthSettingsService,
  type ClientContext,
  type IdentityChange,
  type Keyset,
  type SessionService,
  type SessionView,
  type TokenPair,
} from '../identity.types.js';
import { isUuid } from '../../db/ids.js';
import { createSessionStore } from './session.store.js';

export interface SessionDeps extends IdentityDeps {
  keyset: Keyset;
  settings: AuthSettingsService;
  /** Claims a client may decode from the access token (username, role, AiFw's perm bits); never trusted back. */
  accessClaims?(userId: string): Promise<Record<string, unknown>>;
}

/** The code of the 401 answering a refresh token presented twice (the route audits it). */
export const REFRESH_TOKEN_REUSED = 'refresh_token_reused';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const invalidRefresh = () => errors.unauthorized('invalid or expired refresh token');

const view = (row: SessionRow): SessionView => ({
  id: row.id,
  user_id: row.user_id,
  auth_method: row.auth_method,
  created_at: row.created_at,
  expires_at: row.expires_at,
  last_seen_at: row.last_seen_at,
  revoked_at: row.revoked_at,
  client_ip: row.client_ip,
  user_agent: row.user_agent,
});

/**
 * Login sessions. A session is one family of refresh tokens with an absolute lifetime; each refresh exchanges the
 * presented token for a new pair, and presenting an exchanged token again ends the whole family (RFC 9700 4.14.2).
 * Access tokens are short JWTs naming the session (sid), so revoking it stops them at the authenticator.
 */
export function createSessionService(deps: SessionDeps): SessionService {
  const store = createSessionStore(deps.db);
  const at = () => deps.now().toISOString();
  const publish = (change: IdentityChange) => deps.events.publish(IDENTITY_CHANGED, change);
  const isLive = (row: SessionRow) => row.revoked_at === null && row.expires_at > at();

  async function issuePair(session: SessionRow, settings: AuthSettings): Promise<TokenPair> {
    const extra = deps.accessClaims ? await deps.accessClaims(session.user_id) : {};
    const claims = { ...extra, sub: session.user_id, sid: session.id, typ: 'access', jti: randomUUID() };
    const access = await deps.keyset.sign(claims, settings.access_token_ttl_s);
    const refreshToken = randomBytes(32).toString('base64url');
    await store.insertRefreshToken({
      id: randomUUID(),
      session_id: session.id,
      token_hash: sha256(refreshToken),
      created_at: at(),
      expires_at: session.expires_at,
      used_at: null,
    });
    return {
      access_token: access.token, refresh_token: refreshToken, token_type: 'Bearer', expires_in: settings.access_token_ttl_s, session_id: session.id,
      access_expires_at: access.expiresAt?.toISOString(), refresh_expires_at: session.expires_at,
    };
  }

  async function revokeFamily(session: SessionRow, reason: string): Promise<void> {
    if (await store.revoke(session.id, at(), reason)) await publish({ session_id: session.id, user_id: session.user_id });
  }

  /** The exchange itself, in one transaction; a reuse is reported, not thrown, so its revocation commits. */
  async function exchange(refreshToken: string, client: ClientContext, settings: AuthSettings) {
    const token = await store.findRefreshToken(sha256(refreshToken));
    if (!token) throw invalidRefresh();
    const session = await store.find(token.session_id);
    if (!session) throw invalidRefresh();
    if (token.used_at !== null || !(await store.useRefreshToken(token.id, at()))) {
      await revokeFamily(session, 'refresh token reuse');
      return { reused: true as const };
    }
    if (!isLive(session) || token.expires_at <= at() || !(await store.userIsActive(session.user_id))) throw invalidRefresh();
    await store.touch(session.id, at(), { client_ip: client.clientIp ?? null, user_agent: client.userAgent ?? null });
    return { reused: false as const, pair: await issuePair(session, settings), user_id: session.user_id };
  }

  return {
    async open(userId, how) {
      // Read before the transaction: a cache shared with other requests is never awaited from inside one.
      const settings = await deps.settings.get();
      const ttl = how.ttlSeconds ?? settings.refresh_token_ttl_s;
      const now = deps.now();
      const session: SessionRow = {
        id: randomUUID(),
        user_id: userId,
        auth_method: how.method,
        provider_id: how.providerId ?? null,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + ttl * 1000).toISOString(),
        last_seen_at: now.toISOString(),
        revoked_at: null,
        revoked_reason: null,
        client_ip: how.clientIp ?? null,
        user_agent: how.userAgent ?? null,
      };
      return deps.db.transaction(async () => {
        await store.insert(session);
        return issuePair(session, settings);
      });
    },

    async refresh(refreshToken, client) {
      const settings = await deps.settings.get();
      const outcome = await deps.db.transaction(() => exchange(refreshToken, client, settings));
      if (outcome.reused) {
        throw new RampartError({ code: REFRESH_TOKEN_REUSED, status: 401, message: 'refresh token already used; its session has been revoked' });
      }
      return { ...outcome.pair, user_id: outcome.user_id };
    },

    async cookieToken(sessionId) {
      const session = isUuid(sessionId) ? await store.find(sessionId) : undefined;
      if (!session || !isLive(session)) throw errors.unauthorized('session expired or revoked');
      const left = Math.floor((Date.parse(session.expires_at) - deps.now().getTime()) / 1000);
      // A session opened through an SSO provider lives as long as that provider's session TTL made it.
      const ttl = session.provider_id ? left : Math.min((await deps.settings.get()).session_ttl_s, left);
      const { token } = await deps.keyset.sign({ sub: session.user_id, sid: session.id, typ: 'session' }, ttl);
      return { token, maxAgeSeconds: ttl };
    },

    async renewCookie(sessionId, client) {
      const session = isUuid(sessionId) ? await store.find(sessionId) : undefined;
      if (!session || !isLive(session)) throw errors.unauthorized('session expired or revoked');
      const settings = await deps.settings.get();
      const nowMs = deps.now().getTime();
      const sessionEnd = Date.parse(session.expires_at);
      // SSO sessions live as long as their provider made them; password sessions at most session_ttl_s in all.
      const end = session.provider_id ? sessionEnd : Math.min(sessionEnd, Date.parse(session.created_at) + settings.session_ttl_s * 1000);
      const ttl = Math.floor((end - nowMs) / 1000);
      if (ttl <= 0) {
        await revokeFamily(session, 'absolute session timeout');
        throw errors.unauthorized('session reached its absolute timeout; sign in again');
      }
      await store.touch(session.id, at(), { client_ip: client.clientIp ?? null, user_agent: client.userAgent ?? null });
      const { token } = await deps.keyset.sign({ sub: session.user_id, sid: session.id, typ: 'session' }, ttl);
      return { token, maxAgeSeconds: ttl };
    },

    async revoke(sessionId, reason) {
      const session = isUuid(sessionId) ? await store.find(sessionId) : undefined;
      if (!session) throw errors.notFound(`session ${sessionId} not found`);
      await revokeFamily(session, reason);
    },

    async revokeAllForUser(userId, reason, exceptSessionId) {
      const revoked = await store.revokeAllForUser(userId, at(), reason, exceptSessionId);
      if (revoked.length) await publish({ user_id: userId });
      return revoked.length;
    },

    async list(userId) {
      if (!isUuid(userId)) return [];
      return (await store.listByUser(userId)).filter(isLive).map(view);
    },

    async get(sessionId) {
      const row = isUuid(sessionId) ? await store.find(sessionId) : undefined;
      return row && view(row);
    },
  };
}

import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors, isRampartError } from '../../../core/errors.js';
import type { LoginResult, SessionView } from '../../../core/identity/identity.types.js';
import { LOGIN_ERRORS } from '../../../core/identity/sessions/login.service.js';
import { REFRESH_TOKEN_REUSED } from '../../../core/identity/sessions/session.service.js';
import type { Principal } from '../../../core/principal.js';
import { mapPage, pageOf } from '../../../core/db/paginate.js';
import { pageDoc, pageEnvelope, pageQuery } from '../../../http/pagination.js';
import { defineRoute, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import { clearSessionCookies, clientOf, FLEET_PAGE, idParam, loginRateLimit, loginUser, principalOf, setSessionCookie, tokenPair, userIdOf } from './common.js';

/** mfa_enrollment_required: OpenWatch's flag for a user the auth policy requires MFA of who has none yet. */
/** AiFw's nested token pair (its UI reads tokens.access_token); null while a TOTP code is still due. */
const aifwTokens = z.object({
  access_token: z.string(), refresh_token: z.string(), access_expires_at: z.string().nullable(), refresh_expires_at: z.string().nullable(), token_type: z.literal('Bearer'),
});
const loginResponse = tokenPair.extend({
  user: loginUser, mfa_enrollment_required: z.boolean().optional(), tokens: aifwTokens, totp_required: z.literal(false),
});
/** AiFw's first step for a user with TOTP: 200, no tokens, and the mfa_token for totp/login. */
const totpPending = z.object({ tokens: z.null(), totp_required: z.literal(true), mfa_token: z.string() });
/**
 * AiFw's web client sends this header on its calls (CSRF defence in depth); a login carrying it gets AiFw's TOTP
 * step (200 totp_required) instead of the 401 mfa_required OpenWatch's client and Rampart's console read.
 */
const AIFW_CLIENT_HEADER = 'x-aifw-csrf';
const sessionView = z.object({
  id: z.string(),
  user_id: z.string(),
  auth_method: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
  last_seen_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  client_ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  /** Whether it is the session of the request. */
  current: z.boolean(),
});
const sessionList = z.object({ items: z.array(sessionView), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
const sessionsQuery = pageQuery(FLEET_PAGE);
/** The egress spec's decoded identity (token-login, whoami). */
const egressIdentity = z.object({
  sub: z.string(),
  sa_id: z.string().nullable(),
  exp: z.number().int().nullable(),
  roles: z.array(z.string()),
});
const me = z.object({
  id: z.string(),
  type: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  role: z.string().nullable(),
  roles: z.array(z.string()),
  permissions: z.array(z.string()),
  /** The user's password was chosen by someone else (first start, an admin's reset): the console asks for a new one first. */
  must_change_password: z.boolean(),
  /** Whether the user signs in with a TOTP code too (false for API keys and service accounts). */
  mfa_enabled: z.boolean(),
  display_name: z.string().nullable(),
});

const text = (max: number) => z.string().min(1).max(max);
const totpCode = z.string().trim().min(6).max(32);

function shapeLogin(result: LoginResult) {
  const { user } = result;
  return {
    access_token: result.access_token,
    refresh_token: result.refresh_token,
    token_type: result.token_type,
    expires_in: result.expires_in,
    user: { id: user.id, username: user.username, email: user.email, role: user.roles[0] ?? null },
    tokens: {
      access_token: result.access_token, refresh_token: result.refresh_token, token_type: result.token_type,
      access_expires_at: result.access_expires_at ?? null, refresh_expires_at: result.refresh_expires_at ?? null,
    },
    totp_required: false as const,
  };
}

function egressIdentityOf(principal: Principal) {
  return { sub: principal.name, sa_id: principal.serviceAccountId ?? null, exp: principal.expiresAt ?? null, roles: [...(principal.roles ?? [])] };
}

const withCurrent = (ctx: RouteContext<any>) => (session: SessionView) => ({ ...session, current: session.id === ctx.principal?.sessionId });

/** A page of live sessions (which are live is decided per row, so the page is cut after that), fleet-shaped. */
async function sessionPage(ctx: RouteContext<any>, live: SessionView[]) {
  return pageEnvelope(await mapPage(pageOf(live, ctx.query), withCurrent(ctx)), ctx.query);
}

/**
 * Login, refresh, logout and the caller's identity in the fleet, edge and egress dialects, and session lists.
 * Login and refresh run outside a transaction on purpose: a failed login must still count towards the lockout,
 * and a replayed refresh token must still revoke its session, though the request fails; so their audit rows are
 * written here, explicitly, and never carry a password, code or token.
 */
export function sessionsRoutes(core: Core): RouteDefinition<any>[] {
  const { login, sessions, users, authenticator, rbac } = core.identity;
  const rateLimit = loginRateLimit(core);
  const tags = ['auth'];
  // Login forms may post more than a login reads (a "remember me" box); refusing them would lock users out.
  const unknownFields = 'ignore' as const;

  const anonymous = { type: 'anonymous' as const, id: null, name: null };
  const recordFailure = (ctx: RouteContext<any>, action: string, details: Record<string, unknown>) =>
    ctx.recordAudit({ actor: anonymous, action, result: 'failure', details });

  /** Runs a login step; audits its outcome, sets the session cookie and shapes the answer. */
  async function audited(ctx: RouteContext<any>, details: Record<string, unknown>, attempt: () => Promise<LoginResult>) {
    let result: LoginResult;
    try {
      result = await attempt();
    } catch (err) {
      const code = isRampartError(err) ? err.code : 'error';
      const locked = code === LOGIN_ERRORS.accountLocked;
      // Which throttling counter refused (account_source, source or account): what an operator needs to tell a
      // guesser at one address from a distributed attack.
      const scope = locked && isRampartError(err) ? { scope: err.details?.scope } : {};
      await recordFailure(ctx, locked ? 'identity.login.lockout' : 'identity.login', { ...details, reason: code, ...scope });
      throw err;
    }
    const { user } = result;
    await ctx.recordAudit({
      actor: { type: 'user', id: user.id, name: user.username },
      action: 'identity.login',
      resource: { type: 'user', id: user.id },
      result: 'success',
      details: { ...details, session_id: result.session_id },
    });
    await setSessionCookie(core, ctx, result.session_id);
    const { mfa_required } = await core.identity.settings.get();
    return { ...shapeLogin(result), mfa_enrollment_required: mfa_required && !user.mfa_enabled };
  }

  async function ownSession(ctx: RouteContext<any>, id: string): Promise<SessionView> {
    const session = await sessions.get(id);
    if (!session || session.user_id !== userIdOf(ctx)) throw errors.notFound(`session ${id} not found`);
    return session;
  }

  /** The caller as GET/PATCH auth/me show it; profile fields are read fresh (one read), since PATCH just changed them. */
  async function meOf(p: Principal) {
    const roles = [...(p.roles ?? [])];
    const user = p.type === 'user' ? await users.profile(p.id) : null;
    return {
      id: p.id, type: p.type, username: p.name, email: user ? user.email : (p.email ?? null), role: roles[0] ?? null, roles,
      permissions: [...p.permissions].sort(),
      must_change_password: user?.must_change_password ?? false,
      mfa_enabled: user?.mfa_enabled ?? false,
      display_name: user?.display_name ?? null,
    };
  }

  return [
    // fleet (OpenWatch); the edge (AiFw) logs in and refreshes at the same paths
    defineRoute({
      method: 'POST', path: '/api/v1/auth/login', surface: 'fleet', permission: 'public', tags, rateLimit, unknownFields,
      summary: 'Log in with username and password (and otp when TOTP is on); sets the session cookie',
      description: 'With TOTP enabled and no otp, answers 401 mfa_required with details.mfa_token for POST /api/v1/auth/totp/login.',
      schema: {
        body: z.object({ username: text(256), password: text(1024), otp: z.string().trim().max(32).optional() }),
        response: z.union([loginResponse, totpPending]),
        responses: { 401: { description: 'invalid credentials, or mfa_required' }, 429: { description: 'too many attempts, or the account is locked' } },
      },
      handler: async (ctx) => {
        try {
          return await audited(ctx, { username: ctx.body.username.toLowerCase(), step: 'password' }, () => login.login(ctx.body, clientOf(ctx)));
        } catch (err) {
          const mfaToken = isRampartError(err) && err.code === LOGIN_ERRORS.mfaRequired ? err.details?.mfa_token : undefined;
          if (typeof mfaToken === 'string' && ctx.headers[AIFW_CLIENT_HEADER] !== undefined) return { tokens: null, totp_required: true, mfa_token: mfaToken };
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/auth/refresh', surface: 'fleet', permission: 'public', tags, rateLimit, unknownFields,
      summary: 'Rotate the refresh token; returns a new access + refresh pair',
      description: 'A refresh token works once; presenting it again revokes its whole session.',
      schema: { body: z.object({ refresh_token: text(256) }), response: loginResponse },
      handler: async (ctx) => {
        try {
          const pair = await sessions.refresh(ctx.body.refresh_token, clientOf(ctx));
          return shapeLogin({ ...pair, user: await users.get(pair.user_id) });
        } catch (err) {
          if (isRampartError(err) && err.code === REFRESH_TOKEN_REUSED) {
            await recordFailure(ctx, 'identity.session.reuse_detected', { reason: err.code });
          }
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/auth/me', surface: 'fleet', permission: 'authenticated', tags,
      summary: 'The calling identity (id, username, email, role)', schema: { response: me },
      handler: (ctx) => meOf(principalOf(ctx)),
    }),
    defineRoute({
      method: 'PATCH', path: '/api/v1/auth/me', surface: 'fleet', permission: 'authenticated', tags,
      audit: 'identity.user.update', summary: "Change the caller's own profile (display name, email); users only",
      schema: { body: z.object({ display_name: z.string().max(200).nullish(), email: z.string().max(254).nullish() }), response: me },
      handler: async (ctx) => {
        const id = userIdOf(ctx);
        ctx.auditResource('user', id, { fields: Object.keys(ctx.body), self: true });
        await users.update(id, ctx.body);
        return meOf(principalOf(ctx));
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/auth/me/permissions', surface: 'fleet', permission: 'authenticated', tags,
      summary: "The caller's effective permission strings, wildcards expanded",
      schema: { response: z.object({ permissions: z.array(z.string()) }) },
      handler: (ctx) => ({ permissions: rbac.registry.expand(principalOf(ctx).permissions).sort() }),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/auth/logout', surface: 'fleet', permission: 'public', tags, status: 204, emptyJsonIsNoBody: true,
      summary: 'Revoke the calling session (fleet) and clear the session cookie (egress); AiFw\'s UI calls it too, with an empty JSON body',
      schema: {},
      handler: async (ctx) => {
        const p = ctx.principal;
        if (p?.sessionId) {
          await sessions.revoke(p.sessionId, 'logout');
          await ctx.recordAudit({ action: 'identity.logout', resource: { type: 'session', id: p.sessionId }, result: 'success' });
        }
        clearSessionCookies(ctx);
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/auth/password::change', surface: 'fleet', permission: 'authenticated', tags, rateLimit, status: 204,
      audit: 'identity.password.change', summary: "Change the caller's password; ends the caller's other sessions",
      schema: { body: z.object({ current_password: text(1024), new_password: text(1024) }) },
      handler: async (ctx) => {
        const id = userIdOf(ctx);
        ctx.auditResource('user', id);
        await users.changePassword(id, ctx.body.current_password, ctx.body.new_password, ctx.principal?.sessionId);
      },
    }),

    // edge (AiFw): the second step of a TOTP login
    defineRoute({
      method: 'POST', path: '/api/v1/auth/totp/login', surface: 'edge', permission: 'public', tags, rateLimit, unknownFields,
      summary: 'Submit the TOTP (or a recovery) code: with the mfa_token from /login, or as AiFw does with username, password and totp_code',
      schema: {
        body: z.object({
          mfa_token: text(4096).optional(), code: totpCode.optional(),
          username: text(256).optional(), password: text(1024).optional(), totp_code: totpCode.optional(),
        }),
        response: loginResponse,
      },
      handler: (ctx) => {
        const { mfa_token, code, username, password, totp_code } = ctx.body;
        if (mfa_token !== undefined && code !== undefined) {
          return audited(ctx, { step: 'totp' }, () => login.completeMfa(mfa_token, code, clientOf(ctx)));
        }
        if (username !== undefined && password !== undefined && totp_code !== undefined) {
          return audited(ctx, { username: username.toLowerCase(), step: 'totp' }, () => login.login({ username, password, otp: totp_code }, clientOf(ctx)));
        }
        throw errors.validation('send mfa_token and code, or username, password and totp_code');
      },
    }),

    // egress (Neuwerk)
    defineRoute({
      method: 'POST', path: '/api/v1/auth/token-login', surface: 'egress', permission: 'public', tags, rateLimit, unknownFields,
      audit: 'identity.session.token_login', summary: 'Exchange a bearer token for a browser session (the neuwerk_auth cookie)',
      schema: { body: z.object({ token: text(8192) }), response: egressIdentity },
      handler: async (ctx) => {
        const token = ctx.body.token.replace(/^Bearer\s+/i, '').trim();
        const principal = await authenticator.authenticate({ authorization: `Bearer ${token}`, cookies: {} });
        if (!principal) throw errors.unauthorized('invalid or expired token');
        ctx.auditResource(principal.type, principal.id);
        if (principal.sessionId) {
          const cookie = await sessions.cookieToken(principal.sessionId);
          ctx.reply.cookie('neuwerk_auth', cookie.token, { maxAgeSeconds: cookie.maxAgeSeconds });
        } else {
          // A service-account token is its own session: the cookie carries it, for as long as it lives.
          const exp = principal.expiresAt;
          ctx.reply.cookie('neuwerk_auth', token, exp ? { maxAgeSeconds: Math.max(0, exp - Math.floor(core.now().getTime() / 1000)) } : undefined);
        }
        return egressIdentityOf(principal);
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/auth/whoami', surface: 'egress', permission: 'authenticated', tags,
      summary: 'The authenticated principal and roles (bearer or cookie)', schema: { response: egressIdentity },
      handler: (ctx) => egressIdentityOf(principalOf(ctx)),
    }),

    // Sessions: the caller's own, and any user's for administrators
    defineRoute({
      method: 'GET', path: '/api/v1/auth/sessions', surface: 'fleet', permission: 'authenticated', tags,
      summary: `The caller's live sessions; ${pageDoc(FLEET_PAGE)}`, schema: { query: sessionsQuery, response: sessionList },
      handler: async (ctx) => sessionPage(ctx, await sessions.list(userIdOf(ctx))),
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/auth/sessions/:id', surface: 'fleet', permission: 'authenticated', tags, status: 204,
      audit: 'identity.session.revoke', summary: 'Revoke one of the caller\'s sessions',
      schema: { params: idParam },
      handler: async (ctx) => {
        const session = await ownSession(ctx, ctx.params.id);
        ctx.auditResource('session', session.id, { user_id: session.user_id });
        await sessions.revoke(session.id, 'revoked by its user');
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/users/:id/sessions', surface: 'fleet', permission: 'session:read', tags: ['users'],
      summary: `A user's live sessions; ${pageDoc(FLEET_PAGE)}`, schema: { params: idParam, query: sessionsQuery, response: sessionList },
      handler: async (ctx) => sessionPage(ctx, await sessions.list((await users.get(ctx.params.id)).id)),
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/users/:id/sessions', surface: 'fleet', permission: 'session:revoke', tags: ['users'], status: 204,
      audit: 'identity.session.revoke_all', summary: "Revoke every session of a user",
      schema: { params: idParam },
      handler: async (ctx) => {
        const user = await users.get(ctx.params.id);
        const revoked = await sessions.revokeAllForUser(user.id, 'revoked by an administrator');
        ctx.auditResource('user', user.id, { revoked });
      },
    }),
  ];
}

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { RampartError, errors } from '../../../core/errors.js';
import type { SsoProviderView } from '../../../core/identity/identity.types.js';
import { devAdmin } from '../../../core/identity/sso/dev-login.js';
import { REAUTH_TTL_S, invalidChallenge, issueReauthToken, openChallenge, sealChallenge } from '../../../core/identity/sso/reauth.js';
import { hasPermission, type Principal } from '../../../core/principal.js';
import { defineRoute, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import { actorOf, clearSessionCookies, clientOf, loginRateLimit, userIdOf } from './common.js';
import { auditedLogin, callbackQuery, callbackUrlOf, setStateCookie } from './sso-http.js';

const me = z.union([
  z.object({ authenticated: z.literal(false) }),
  z.object({ authenticated: z.literal(true), sub: z.string(), email: z.string().nullable(), role: z.string().nullable(), system_role: z.enum(['system-admin', 'user']) }),
]);
const redirect = (description: string) => ({ 302: { description } });

const STATE_COOKIE = { name: 'rampart_sso', path: '/api/auth' };
const REAUTH_COOKIE = { name: 'rampart_reauth', path: '/api/auth/reauth' };

const notConfigured = (message = 'OIDC is not configured') => new RampartError({ code: 'not_implemented', status: 501, message });
/** What a fresh install (no OIDC provider yet) answers to Commander's login button: how to sign in instead. */
export const LOCAL_LOGIN_HINT =
  'OIDC is not configured. Sign in with a local account instead: POST /api/v1/auth/login with {"username", "password"} ' +
  'answers an access_token (send it as Authorization: Bearer <token> to /api/...) and sets the rampart_session cookie, ' +
  'which /api/... accepts too. On a fresh install the user is admin, its password in <data_dir>/initial-admin-password.';

/**
 * Overlay (Nebula Commander) authentication: sign-in through the default OIDC provider (see SsoService.defaultProvider),
 * a dev token while dev mode is on and no provider exists, and reauthentication for destructive actions: a
 * challenge, a fresh login at the IdP (prompt=login), and a 5-minute reauth token (core/identity/sso/reauth.ts).
 */
export function overlayAuthRoutes(core: Core): RouteDefinition<any>[] {
  const { sso, sessions, keyset } = core.identity;
  const tags = ['auth'];
  const rateLimit = loginRateLimit(core);

  const defaultProvider = async (): Promise<SsoProviderView> => {
    const provider = await sso.defaultProvider();
    if (!provider) throw notConfigured();
    return provider;
  };
  const callbackUri = (ctx: RouteContext<any>) => `${ctx.origin}/api/auth/callback`;
  const reauthCallbackUri = (ctx: RouteContext<any>) => `${ctx.origin}/api/auth/reauth/callback`;

  return [
    defineRoute({
      method: 'GET', path: '/api/auth/me', surface: 'overlay', permission: 'public', tags,
      summary: 'Current user: {"authenticated": false}, or sub, email, role and system_role',
      // Public: the runner resolves whoever a valid credential names and treats an invalid one as nobody.
      schema: { response: me },
      handler: async ({ principal }) => (principal ? describe(core, principal) : { authenticated: false }),
    }),
    defineRoute({
      method: 'GET', path: '/api/auth/dev-token', surface: 'overlay', permission: 'public', tags, rateLimit,
      audit: 'identity.login', summary: 'Development only: an administrator token while dev mode is on and no OIDC provider is configured (404 otherwise)',
      schema: { response: z.object({ token: z.string(), expires_in: z.number().int() }) },
      handler: async (ctx) => {
        const providers = await sso.list();
        if (!core.config.auth.dev_mode || providers.some((p) => p.enabled)) throw errors.notFound('Not Found');
        const admin = await devAdmin(core.identity.users);
        if (!admin) throw errors.notFound('no active administrator to issue a dev token for');
        ctx.auditResource('user', admin.id, { method: 'dev' });
        const pair = await sessions.open(admin.id, { method: 'dev', ...clientOf(ctx) });
        return { token: pair.access_token, expires_in: pair.expires_in };
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/auth/login', surface: 'overlay', permission: 'public', tags, rateLimit, status: 302,
      summary: 'Redirect to the OIDC provider for login (501 if OIDC is not configured, naming the local login: POST /api/v1/auth/login)',
      schema: { query: z.object({ return_to: z.string().optional() }), responses: { ...redirect('to the identity provider'), 501: { description: 'no OIDC provider: the detail explains the local login' } } },
      handler: async (ctx) => {
        const provider = await sso.defaultProvider();
        if (!provider) throw notConfigured(LOCAL_LOGIN_HINT);
        const { url, state_cookie } = await sso.start(provider.id, callbackUri(ctx), ctx.query.return_to);
        setStateCookie(ctx, STATE_COOKIE.name, state_cookie, STATE_COOKIE.path);
        ctx.reply.redirect(url);
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/auth/callback', surface: 'overlay', permission: 'public', tags, rateLimit, status: 302,
      summary: 'OAuth callback: exchanges the code and redirects to the frontend with the token (/auth/callback?token=...)',
      schema: { query: callbackQuery, responses: redirect('to /auth/callback?token=<access token>') },
      handler: async (ctx) => {
        const provider = await defaultProvider();
        const redirectUri = callbackUri(ctx);
        const result = await auditedLogin(ctx, provider, () =>
          sso.callback(provider.id, { redirectUri, callbackUrl: callbackUrlOf(redirectUri, ctx.query), stateCookie: ctx.cookies[STATE_COOKIE.name] }, clientOf(ctx)),
        );
        ctx.reply.clearCookie(STATE_COOKIE.name, { path: STATE_COOKIE.path });
        ctx.reply.redirect(`/auth/callback?token=${encodeURIComponent(result.access_token)}`);
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/auth/logout', surface: 'overlay', permission: 'public', tags, status: 302,
      summary: "Log out: ends the session, then redirects to the provider's logout (or / without OIDC)",
      schema: { responses: redirect("to the IdP's end_session_endpoint, or /") },
      handler: async (ctx) => {
        const principal = ctx.principal;
        if (principal?.sessionId) {
          await sessions.revoke(principal.sessionId, 'logout');
          await ctx.recordAudit({ action: 'identity.logout', result: 'success', resource: { type: 'session', id: principal.sessionId } });
        }
        clearSessionCookies(ctx);
        const provider = await sso.defaultProvider();
        ctx.reply.redirect((provider && (await sso.endSessionUrl(provider.id))) ?? '/');
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/auth/oidc-status', surface: 'overlay', permission: 'public', tags,
      summary: 'OIDC provider readiness: {"status": "ok"}, {"status": "disabled"}, or 503 if the provider is unavailable',
      schema: { response: z.object({ status: z.enum(['ok', 'disabled']) }) },
      handler: async () => {
        const provider = await sso.defaultProvider();
        if (!provider) return { status: 'disabled' };
        const probe = await sso.test(provider.id);
        if (!probe.ok) throw errors.unavailable(`OIDC provider unavailable: ${probe.detail}`);
        return { status: 'ok' };
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/auth/reauth/challenge', surface: 'overlay', permission: 'authenticated', tags, rateLimit,
      summary: 'Create a reauthentication challenge for critical operations: {challenge, reauth_url}',
      schema: { response: z.object({ challenge: z.string(), reauth_url: z.string() }) },
      handler: async (ctx) => {
        const userId = userIdOf(ctx);
        const challenge = randomBytes(16).toString('hex');
        const exp = Math.floor(core.now().getTime() / 1000) + REAUTH_TTL_S;
        const provider = await sso.defaultProvider();
        let reauth_url: string;
        let ssoState: string | null = null;
        if (provider) {
          const start = await sso.start(provider.id, reauthCallbackUri(ctx), undefined, { prompt: 'login' });
          reauth_url = start.url;
          ssoState = start.state_cookie;
        } else if (core.config.auth.dev_mode) {
          // Dev mode without an IdP: nobody to ask again, so the challenge alone completes it.
          reauth_url = `${reauthCallbackUri(ctx)}?challenge=${challenge}`;
        } else {
          throw notConfigured();
        }
        const sealed = sealChallenge(core.secrets, { challenge, user_id: userId, sso_state: ssoState, provider_id: provider?.id ?? null, exp });
        ctx.reply.cookie(REAUTH_COOKIE.name, sealed, { path: REAUTH_COOKIE.path, maxAgeSeconds: REAUTH_TTL_S });
        return { challenge, reauth_url };
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/auth/reauth/callback', surface: 'overlay', permission: 'public', tags, rateLimit, status: 302,
      summary: 'Reauth callback: validates the challenge (and the fresh IdP login) and redirects with a reauth token',
      schema: { query: callbackQuery, responses: redirect('to /auth/reauth?reauth_token=<token>, valid 5 minutes') },
      handler: async (ctx) => {
        const pending = openChallenge(core.secrets, ctx.cookies[REAUTH_COOKIE.name], core.now());
        const name = (await core.identity.users.get(pending.user_id).catch(() => undefined))?.username ?? pending.user_id;
        const who: Principal = { type: 'user', id: pending.user_id, name, permissions: new Set() };
        try {
          if (pending.provider_id) {
            const redirectUri = reauthCallbackUri(ctx);
            const { user } = await sso.identify(pending.provider_id, { redirectUri, callbackUrl: callbackUrlOf(redirectUri, ctx.query), stateCookie: pending.sso_state ?? undefined });
            if (user.id !== pending.user_id) throw errors.forbidden('reauthenticated as another user');
          } else if (!core.config.auth.dev_mode || ctx.query.challenge !== pending.challenge) {
            throw invalidChallenge();
          }
        } catch (err) {
          await ctx.recordAudit({ actor: actorOf(who), action: 'identity.reauth', result: 'failure', resource: { type: 'user', id: pending.user_id }, details: { error: (err as Error).message } });
          throw err;
        }
        const { token } = await issueReauthToken(keyset, pending.user_id);
        await ctx.recordAudit({ actor: actorOf(who), action: 'identity.reauth', result: 'success', resource: { type: 'user', id: pending.user_id } });
        ctx.reply.clearCookie(REAUTH_COOKIE.name, { path: REAUTH_COOKIE.path });
        ctx.reply.redirect(`/auth/reauth?reauth_token=${encodeURIComponent(token)}`);
      },
    }),
  ];
}

async function describe(core: Core, principal: Principal) {
  const email = principal.email !== undefined || principal.type !== 'user' ? principal.email ?? null : (await core.identity.users.get(principal.id)).email;
  return {
    authenticated: true as const,
    sub: principal.id,
    email,
    role: principal.roles?.[0] ?? null,
    system_role: hasPermission(principal, '*') ? ('system-admin' as const) : ('user' as const),
  };
}

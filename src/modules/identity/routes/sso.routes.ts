import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import type { SsoProviderView } from '../../../core/identity/identity.types.js';
import { pageOf } from '../../../core/db/paginate.js';
import { itemsWithTotal, pageDoc, pageQuery } from '../../../http/pagination.js';
import { defineRoute, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import { clientOf, idParam, loginRateLimit, loginUser, setSessionCookie, tokenPair } from './common.js';
import {
  auditedLogin,
  callbackQuery,
  callbackUrlOf,
  egressLoginProvider,
  egressLoginProviders,
  egressProviderView,
  egressView,
  findProvider,
 
  providerBody,
  providerInput,
  providerView,
  setStateCookie,
} from './sso-http.js';

const startQuery = z.object({ return_to: z.string().optional() });
const testResult = z.object({ ok: z.boolean(), detail: z.string(), issuer: z.string().optional() });
const redirect = (description: string) => ({ 302: { description } });

/**
 * SSO through OIDC, Google and GitHub providers, in two dialects: egress (Neuwerk: public login under
 * /api/v1/auth/sso, provider settings under /api/v1/settings/sso) and edge (AiFw: /api/v1/auth/oauth). The
 * browser carries the sealed login state in a cookie scoped to its flow's paths; a successful callback sets the
 * session cookie and redirects. Failed callbacks answer their error in the surface's envelope (400 bad state,
 * 403 refused account, 502 unreachable IdP), so API clients and tests see why.
 */
export function ssoRoutes(core: Core): RouteDefinition<any>[] {
  const { sso } = core.identity;
  const rateLimit = loginRateLimit(core);
  const tags = ['sso'];

  const egressCallbackUri = (ctx: RouteContext<any>, id: string) => `${ctx.origin}/api/v1/auth/sso/${encodeURIComponent(id)}/callback`;
  const edgeCallbackUri = (ctx: RouteContext<any>, provider: string) => `${ctx.origin}/api/v1/auth/oauth/${encodeURIComponent(provider)}/callback`;

  async function begin(ctx: RouteContext<any>, provider: SsoProviderView, redirectUri: string, cookie: { name: string; path: string }) {
    const { url, state_cookie } = await sso.start(provider.id, redirectUri, ctx.query.return_to);
    setStateCookie(ctx, cookie.name, state_cookie, cookie.path);
    ctx.reply.redirect(url);
  }

  async function complete(ctx: RouteContext<any>, provider: SsoProviderView, redirectUri: string, cookie: { name: string; path: string }, own: string[] = []) {
    const callbackUrl = callbackUrlOf(redirectUri, ctx.query, own);
    const result = await auditedLogin(ctx, provider, () =>
      sso.callback(provider.id, { redirectUri, callbackUrl, stateCookie: ctx.cookies[cookie.name] }, clientOf(ctx)),
    );
    ctx.reply.clearCookie(cookie.name, { path: cookie.path });
    return result;
  }

  /** The provider an audited settings route acts on. */
  const audited = (ctx: RouteContext<any>, p: SsoProviderView) => {
    ctx.auditResource('sso_provider', p.id, { name: p.name, kind: p.kind });
    return p;
  };

  const egressState = { name: 'neuwerk_sso', path: '/api/v1/auth/sso' };
  const edgeState = { name: 'rampart_sso', path: '/api/v1/auth/oauth' };

  return [
    // egress (Neuwerk): the login screen's flow
    defineRoute({
      method: 'GET', path: '/api/v1/auth/sso/providers', surface: 'egress', permission: 'public', tags,
      summary: `List enabled SSO providers for the login screen, by display_order then name; kind as Neuwerk names it (generic-oidc, google, github); ${pageDoc()}`,
      schema: { query: pageQuery(), response: z.array(egressLoginProvider) },
      handler: async (ctx) => itemsWithTotal(ctx, pageOf(egressLoginProviders(await sso.list()), ctx.query)),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/auth/sso/:id/start', surface: 'egress', permission: 'public', tags, rateLimit, status: 302,
      summary: 'Start an SSO login: 302 to the IdP, with the temporary neuwerk_sso cookie',
      schema: { params: z.object({ id: z.string() }), query: startQuery, responses: redirect('to the identity provider') },
      handler: async (ctx) => begin(ctx, await findProvider(core, ctx.params.id), egressCallbackUri(ctx, ctx.params.id), egressState),
    }),
    // fleet (OpenWatch): the login page's "Sign in with ..." is a full-page navigation; the callback is shared
    defineRoute({
      method: 'GET', path: '/api/v1/auth/sso/:id/login', surface: 'fleet', permission: 'public', tags, rateLimit, status: 302,
      summary: 'Start an SSO login from the OpenWatch login page: 302 to the IdP; an unknown or disabled provider 302s to /login?sso_error=',
      schema: { params: z.object({ id: z.string() }), query: startQuery, responses: redirect('to the identity provider, or back to /login') },
      handler: async (ctx) => {
        const provider = (await sso.list()).find((p) => p.id === ctx.params.id && p.enabled);
        if (!provider) return ctx.reply.redirect('/login?sso_error=provider_unavailable');
        await begin(ctx, provider, egressCallbackUri(ctx, provider.id), egressState);
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/auth/sso/:id/callback', surface: 'egress', permission: 'public', tags, rateLimit, status: 302,
      summary: 'Complete an SSO login: sets neuwerk_auth, clears neuwerk_sso, 302 to the return path',
      schema: { params: z.object({ id: z.string() }), query: callbackQuery, responses: redirect('to the return path, or /') },
      handler: async (ctx) => {
        const provider = await findProvider(core, ctx.params.id);
        const result = await complete(ctx, provider, egressCallbackUri(ctx, ctx.params.id), egressState);
        await setSessionCookie(core, ctx, result.session_id, 'neuwerk_auth');
        await setSessionCookie(core, ctx, result.session_id);
        ctx.reply.redirect(result.return_to ?? '/');
      },
    }),

    // egress (Neuwerk): provider settings
    defineRoute({
      method: 'GET', path: '/api/v1/settings/sso/providers', surface: 'egress', permission: 'sso_provider:read', tags,
      summary: `List configured SSO providers (sanitized: the client secret only as client_secret_configured); ${pageDoc()}`,
      schema: { query: pageQuery(), response: z.array(egressProviderView) },
      handler: async (ctx) => itemsWithTotal(ctx, await sso.listPage(ctx.query)).map(egressView),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/settings/sso/providers', surface: 'egress', permission: 'sso_provider:write', tags, status: 201,
      audit: 'identity.sso_provider.create', summary: 'Create an SSO provider',
      schema: { body: providerBody, response: egressProviderView },
      handler: async (ctx) => egressView(audited(ctx, await sso.create(providerInput(ctx.body)))),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/settings/sso/providers/:id', surface: 'egress', permission: 'sso_provider:read', tags,
      summary: 'Fetch an SSO provider (sanitized)',
      schema: { params: idParam, response: egressProviderView },
      handler: async (ctx) => egressView(await sso.get(ctx.params.id)),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/settings/sso/providers/:id', surface: 'egress', permission: 'sso_provider:write', tags,
      audit: 'identity.sso_provider.update', summary: 'Update an SSO provider (fields left out keep their values; client_secret null removes it)',
      schema: { params: idParam, body: providerBody, response: egressProviderView },
      handler: async (ctx) => {
        const current = await sso.get(ctx.params.id);
        return egressView(audited(ctx, await sso.update(current.id, providerInput(ctx.body, current))));
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/settings/sso/providers/:id', surface: 'egress', permission: 'sso_provider:write', tags, status: 204,
      audit: 'identity.sso_provider.delete', summary: 'Delete an SSO provider (and the links of its users)',
      schema: { params: idParam },
      handler: async (ctx) => void (await sso.delete(audited(ctx, await sso.get(ctx.params.id)).id)),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/settings/sso/providers/:id/test', surface: 'egress', permission: 'sso_provider:write', tags,
      summary: "Test provider reachability: fetches its discovery document (5 s timeout); {ok, detail}",
      schema: { params: idParam, response: testResult },
      // Audited by hand: the probe waits on the network, which must not happen inside the audit's transaction.
      handler: async (ctx) => {
        const provider = await sso.get(ctx.params.id);
        const result = await sso.test(provider.id);
        await ctx.recordAudit({
          action: 'identity.sso_provider.test',
          resource: { type: 'sso_provider', id: provider.id },
          result: 'success',
          details: { name: provider.name, ok: result.ok, detail: result.detail },
        });
        return result;
      },
    }),

    // edge (AiFw): OAuth providers and their login flow
    defineRoute({
      method: 'GET', path: '/api/v1/auth/oauth/providers', surface: 'edge', permission: 'settings:read', tags,
      summary: `List OAuth providers (sanitized); ${pageDoc()}`,
      schema: { query: pageQuery(), response: z.array(providerView) },
      handler: async (ctx) => itemsWithTotal(ctx, await sso.listPage(ctx.query)),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/auth/oauth/providers', surface: 'edge', permission: 'settings:write', tags, status: 201,
      audit: 'identity.sso_provider.create', summary: 'Create an OAuth provider',
      schema: { body: providerBody, response: providerView },
      handler: async (ctx) => audited(ctx, await sso.create(providerInput(ctx.body))),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/auth/oauth/providers/:id', surface: 'edge', permission: 'settings:write', tags,
      audit: 'identity.sso_provider.update', summary: 'Update an OAuth provider',
      schema: { params: idParam, body: providerBody, response: providerView },
      handler: async (ctx) => {
        const current = await sso.get(ctx.params.id);
        return audited(ctx, await sso.update(current.id, providerInput(ctx.body, current)));
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/auth/oauth/providers/:id', surface: 'edge', permission: 'settings:write', tags, status: 204,
      audit: 'identity.sso_provider.delete', summary: 'Delete an OAuth provider',
      schema: { params: idParam },
      handler: async (ctx) => void (await sso.delete(audited(ctx, await sso.get(ctx.params.id)).id)),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/auth/oauth/:provider/authorize', surface: 'edge', permission: 'public', tags, rateLimit, status: 302,
      summary: 'Begin OAuth login ({provider}: id or name): 302 to the IdP, with the temporary rampart_sso cookie',
      schema: { params: z.object({ provider: z.string() }), query: startQuery, responses: redirect('to the identity provider') },
      handler: async (ctx) => begin(ctx, await findProvider(core, ctx.params.provider), edgeCallbackUri(ctx, ctx.params.provider), edgeState),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/auth/oauth/:provider/callback', surface: 'edge', permission: 'public', tags, rateLimit, status: 302,
      summary: 'OAuth provider callback: sets the session cookie and redirects; ?format=json answers the login response instead',
      description:
        'For API clients that drive the browser part themselves: add format=json to the query the IdP returned, and the ' +
        'answer is {access_token, refresh_token, token_type, expires_in, user} with status 200 instead of the redirect.',
      schema: {
        params: z.object({ provider: z.string() }),
        query: callbackQuery,
        responses: { ...redirect('to the return path, or /'), 200: { description: 'with format=json', schema: tokenPair.extend({ user: loginUser }) } },
      },
      handler: async (ctx) => {
        const provider = await findProvider(core, ctx.params.provider);
        const result = await complete(ctx, provider, edgeCallbackUri(ctx, ctx.params.provider), edgeState, ['format']);
        await setSessionCookie(core, ctx, result.session_id);
        if (ctx.query.format !== 'json') return ctx.reply.redirect(result.return_to ?? '/');
        ctx.reply.status(200);
        const { access_token, refresh_token, token_type, expires_in, user } = result;
        return { access_token, refresh_token, token_type, expires_in, user: { id: user.id, username: user.username, email: user.email, role: user.roles[0] ?? null } };
      },
    }),
  ];
}

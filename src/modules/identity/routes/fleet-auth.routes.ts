import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import type { SsoProviderView } from '../../../core/identity/identity.types.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { clientOf, idParam } from './common.js';

/** OpenWatch's bounds: idle 5 minutes to 24 hours, absolute 1 hour to 30 days. */
const authPolicy = z.object({
  require_mfa: z.boolean(),
  session_idle_timeout_seconds: z.number().int().min(300).max(86_400),
  session_absolute_timeout_seconds: z.number().int().min(3_600).max(30 * 86_400),
});
/** The UI sends back the updated_at it read; it is not an input. */
const authPolicyBody = authPolicy.extend({ updated_at: z.string().max(64).optional() });

const fleetSsoProvider = z.object({
  id: z.string(),
  name: z.string(),
  issuer: z.string(),
  client_id: z.string(),
  client_secret_set: z.boolean(),
  scopes: z.array(z.string()),
  enabled: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
const ssoCreate = z.object({
  name: z.string().trim().min(1).max(100),
  issuer: z.string().trim().url().max(2048),
  client_id: z.string().trim().min(1).max(512),
  client_secret: z.string().min(1).max(4096),
  scopes: z.array(z.string().min(1).max(100)).max(20).optional(),
  enabled: z.boolean().optional(),
});

/**
 * What OpenWatch's app frame and security settings call on the identity core: the auth policy, cookie renewal,
 * and SSO providers (the anonymous list of enabled ones for the login page, and the administrator's list).
 */
export function fleetAuthRoutes(core: Core): RouteDefinition<any>[] {
  const { settings, sessions, sso } = core.identity;
  const tags = ['auth'];

  async function currentPolicy() {
    const s = await settings.get();
    return { require_mfa: s.mfa_required, session_idle_timeout_seconds: s.session_idle_timeout_s, session_absolute_timeout_seconds: s.session_ttl_s };
  }

  const ssoView = (p: SsoProviderView) => ({
    id: p.id, name: p.name, issuer: p.issuer_url, client_id: p.client_id, client_secret_set: p.client_secret_configured,
    scopes: p.scopes, enabled: p.enabled, created_at: p.created_at, updated_at: p.updated_at,
  });

  return [
    defineRoute({
      method: 'GET', path: '/api/v1/auth-policy', surface: 'fleet', permission: 'system:auth_policy_read', tags,
      summary: 'The authentication policy: MFA requirement, session idle and absolute timeouts (seconds)',
      schema: { response: authPolicy },
      handler: () => currentPolicy(),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/auth-policy', surface: 'fleet', permission: 'system:auth_policy_write', tags,
      audit: 'identity.auth_policy.update',
      summary: 'Replace the authentication policy',
      description: 'The absolute timeout bounds every session cookie (renewal cannot pass it); the idle timeout is the ' +
        "window OpenWatch's UI enforces on real user activity; require_mfa is stored and shown to the UI.",
      schema: { body: authPolicyBody, response: authPolicy },
      handler: async (ctx) => {
        const { require_mfa, session_idle_timeout_seconds, session_absolute_timeout_seconds } = ctx.body;
        ctx.auditResource('auth_policy', null, { require_mfa, session_idle_timeout_seconds, session_absolute_timeout_seconds });
        await settings.update({ mfa_required: require_mfa, session_idle_timeout_s: session_idle_timeout_seconds, session_ttl_s: session_absolute_timeout_seconds });
        return currentPolicy();
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/auth/refresh-cookie', surface: 'fleet', permission: 'public', tags, status: 204,
      summary: "Renew the caller's session cookie (anonymous callers get 401 and sign in again)",
      description: 'Answers 401 when no live session cookie came with the request, or the session reached its absolute timeout.',
      schema: { responses: { 401: { description: 'no live session; sign in again' } } },
      handler: async (ctx) => {
        const sessionId = ctx.principal?.sessionId;
        if (!sessionId) throw errors.unauthorized('no live session; sign in again');
        const { token, maxAgeSeconds } = await sessions.renewCookie(sessionId, clientOf(ctx));
        ctx.reply.cookie('rampart_session', token, { maxAgeSeconds });
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/sso/providers/enabled', surface: 'fleet', permission: 'public', tags: ['sso'],
      summary: "The enabled SSO providers for the login page's buttons: id and name only",
      schema: { response: z.object({ providers: z.array(z.object({ id: z.string(), name: z.string() })) }) },
      handler: async () => ({ providers: (await sso.list()).filter((p) => p.enabled).map(({ id, name }) => ({ id, name })) }),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/sso/providers', surface: 'fleet', permission: 'admin:sso_provider', tags: ['sso'],
      summary: 'Every SSO provider (the client secret only as client_secret_set)',
      schema: { response: z.object({ providers: z.array(fleetSsoProvider) }) },
      handler: async () => ({ providers: (await sso.list()).map(ssoView) }),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/sso/providers', surface: 'fleet', permission: 'admin:sso_provider', tags: ['sso'], status: 201,
      audit: 'identity.sso_provider.create', summary: 'Add an OIDC provider',
      schema: { body: ssoCreate, response: fleetSsoProvider },
      handler: async (ctx) => {
        const { issuer, enabled, ...rest } = ctx.body;
        const provider = await sso.create({ ...rest, kind: 'oidc', issuer_url: issuer, enabled: enabled ?? false });
        ctx.auditResource('sso_provider', provider.id, { name: provider.name, issuer });
        return ssoView(provider);
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/sso/providers/:id', surface: 'fleet', permission: 'admin:sso_provider', tags: ['sso'], status: 204,
      audit: 'identity.sso_provider.delete', summary: 'Remove an SSO provider', schema: { params: idParam },
      handler: async (ctx) => {
        ctx.auditResource('sso_provider', ctx.params.id);
        await sso.delete(ctx.params.id);
      },
    }),
  ];
}

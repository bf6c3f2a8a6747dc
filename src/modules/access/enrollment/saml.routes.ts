import { z } from 'zod';
import { callerTenant } from '../common/tenant-scope.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { AccessServices } from '../access.services.js';
import { accessErrors } from '../common/access-errors.js';
import { deviceInfo, wireguardKey } from './device.types.js';
import { enrolled } from './enroll.routes.js';

const MINUTE_MS = 60_000;
const pem = z.string().min(64).max(16_384);
const upsertBody = z.object({
  type: z.enum(['saml', 'oidc', 'keycloak', 'entra', 'okta']),
  id: z.string().uuid().optional(),
  name: z.string().trim().min(1).max(128).optional(),
  entity_id: z.string().min(1).max(1024).optional(),
  sso_url: z.string().url().max(2048).nullish(),
  idp_certs: z.array(pem).min(1).max(4).optional(),
  sp_entity_id: z.string().min(1).max(1024).optional(),
  acs_url: z.string().url().max(2048).optional(),
  email_attribute: z.string().min(1).max(256).optional(),
  allowed_domains: z.array(z.string().min(1).max(253)).max(100).optional(),
  enabled: z.boolean().optional(),
});
const providerId = z.object({ provider_id: z.string().uuid() });
const samlView = z.object({
  id: z.string(), type: z.literal('saml'), name: z.string(), entity_id: z.string(), sso_url: z.string().nullable(), idp_certs: z.array(z.string()),
  sp_entity_id: z.string(), acs_url: z.string(), email_attribute: z.string(), allowed_domains: z.array(z.string()), enabled: z.boolean(),
  created_at: z.string(), updated_at: z.string(),
});
const oidcView = z.object({ id: z.string(), type: z.string(), name: z.string(), issuer: z.string(), client_id: z.string(), client_secret_configured: z.boolean(), enabled: z.boolean() });
const enrollBody = z.object({ provider_id: z.string().uuid(), saml_response: z.string().min(1).max(262_144), public_key: wireguardKey, device: deviceInfo });

/**
 * /v1/admin/settings/providers: the identity providers devices enroll through. OIDC ones are the identity core's
 * SSO providers (listed here, managed at /api/v1/settings/sso/providers); SAML ones are kept here.
 * POST /v1/enroll/saml: a device enrolls with a SAML response from one of them.
 */
export function samlRoutes(access: AccessServices): RouteDefinition<any>[] {
  const { saml, enroll } = access.enrollment;
  const { core } = access;
  const tags = ['access identity providers'];
  return [
    defineRoute({
      method: 'GET', path: '/v1/admin/settings/providers', surface: 'access', permission: 'access_settings:read', tags,
      summary: 'Identity providers devices may enroll through: the SSO (OIDC) providers and the SAML providers',
      schema: { response: z.object({ items: z.array(z.union([samlView, oidcView])) }) },
      handler: async (ctx) => {
        const tenantId = await callerTenant(access.hooks, ctx);
        const oidc = (await core.identity.sso.list()).map((p) => ({
          id: p.id, type: p.kind, name: p.name, issuer: p.issuer_url, client_id: p.client_id, client_secret_configured: p.client_secret_configured, enabled: p.enabled,
        }));
        return { items: [...oidc, ...(await saml.list(tenantId))] };
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/settings/providers', surface: 'access', permission: 'access_settings:write', tags,
      audit: 'access.settings.provider.upsert',
      summary: 'Create (201, no id) or update (id) a SAML provider; OIDC providers are managed as SSO providers',
      schema: { body: upsertBody, response: samlView },
      handler: async (ctx) => {
        const { type, ...input } = ctx.body;
        if (type !== 'saml') throw accessErrors.invalid('OIDC providers are the SSO providers: manage them at /api/v1/settings/sso/providers');
        const { provider, created } = await saml.upsert(await callerTenant(access.hooks, ctx), { ...input, acs_url: input.acs_url ?? (input.id ? undefined : `${ctx.origin}/v1/enroll/saml`) });
        ctx.auditResource('access_identity_provider', provider.id, { type, name: provider.name, created });
        if (created) ctx.reply.status(201);
        return provider;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/v1/admin/settings/providers/:provider_id', surface: 'access', permission: 'access_settings:write', tags, status: 204,
      audit: 'access.settings.provider.delete',
      summary: 'Delete a SAML provider (devices enrolled through it stay)',
      schema: { params: providerId },
      handler: async (ctx) => {
        ctx.auditResource('access_identity_provider', ctx.params.provider_id);
        await saml.remove(await callerTenant(access.hooks, ctx), ctx.params.provider_id);
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/enroll/saml', surface: 'access', permission: 'public', credentials: 'own', tags, status: 201,
      rateLimit: { max: core.config.access.enroll_rate_limit_per_minute, windowMs: MINUTE_MS },
      summary: 'Enroll a device with a signed SAML response (HTTP-POST binding, base64) from a SAML provider; the device is the named user\'s',
      schema: { body: enrollBody, response: enrolled },
      handler: (ctx) =>
        core.db.transaction(async () => {
          const { userId, email, tenantId } = await saml.verify(ctx.body.provider_id, ctx.body.saml_response);
          const done = await enroll.forUser(userId, 'saml', ctx.body, tenantId);
          await ctx.recordAudit({ action: 'access.device.enroll', actor: { type: 'user', id: userId, name: email }, resource: { type: 'access_device', id: done.device_id }, result: 'success', details: { via: 'saml', provider_id: ctx.body.provider_id } });
          return done;
        }),
    }),
  ];
}

import { z } from 'zod';
import { callerTenant } from '../common/tenant-scope.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { AccessServices } from '../access.services.js';
import { accessErrors } from '../common/access-errors.js';
import { errors } from '../../../core/errors.js';
import { hasPermission } from '../../../core/principal.js';
import { principalOf } from '../../../http/route.js';
import { DEFAULT_TENANT_ID } from '../access.types.js';
import { DEFAULT_GROUPS_CLAIM, issuerOf, presetOf } from './oidc-presets.js';
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
  // OIDC presets (oidc, keycloak, entra, okta): the identity core's SSO providers.
  issuer: z.string().url().max(2048).refine((u) => u.startsWith('https://'), 'issuer must be https').optional(),
  base_url: z.string().url().max(2048).refine((u) => u.startsWith('https://'), 'base_url must be https').optional(),
  realm: z.string().min(1).max(255).optional(),
  directory_id: z.string().min(1).max(255).optional(),
  okta_domain: z.string().min(1).max(253).optional(),
  authorization_server: z.string().min(1).max(128).optional(),
  client_id: z.string().min(1).max(512).optional(),
  client_secret: z.string().min(1).max(2048).optional().describe('write-only: sealed at rest, never shown'),
  scopes: z.array(z.string().min(1).max(128)).max(30).optional(),
  groups_claim: z.string().min(1).max(128).optional(),
  pkce_required: z.boolean().optional(),
});
const providerId = z.object({ provider_id: z.string().uuid() });
const samlView = z.object({
  id: z.string(), type: z.literal('saml'), name: z.string(), entity_id: z.string(), sso_url: z.string().nullable(), idp_certs: z.array(z.string()),
  sp_entity_id: z.string(), acs_url: z.string(), email_attribute: z.string(), allowed_domains: z.array(z.string()), enabled: z.boolean(),
  created_at: z.string(), updated_at: z.string(),
});
const oidcView = z.object({
  id: z.string(), type: z.string(), name: z.string(), issuer: z.string(), client_id: z.string(), client_secret_configured: z.boolean(), enabled: z.boolean(),
  scopes: z.array(z.string()).optional(), groups_claim: z.string().optional(), allowed_domains: z.array(z.string()).optional(), pkce_required: z.boolean().optional(),
});
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
          id: p.id, type: p.kind === 'oidc' ? presetOf(p.issuer_url) : p.kind, name: p.name, issuer: p.issuer_url, client_id: p.client_id, client_secret_configured: p.client_secret_configured, enabled: p.enabled,
          scopes: p.scopes, groups_claim: p.groups_claim, allowed_domains: p.allowed_email_domains, pkce_required: p.pkce_required,
        }));
        return { items: [...oidc, ...(await saml.list(tenantId))] };
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/settings/providers', surface: 'access', permission: 'access_settings:write', tags,
      audit: 'access.settings.provider.upsert',
      summary: 'Create (201, no id) or update (id) a provider: SAML, or OIDC with the keycloak, entra and okta presets (client_secret write-only)',
      schema: { body: upsertBody, response: z.union([samlView, oidcView]) },
      handler: async (ctx) => {
        const { type, issuer, base_url, realm, directory_id, okta_domain, authorization_server, client_id, client_secret, scopes, groups_claim, pkce_required, ...input } = ctx.body;
        if (type !== 'saml') {
          // OIDC providers are the identity core's SSO providers, shared by every tenant: the provider tenant's
          // administrators holding the SSO permission manage them.
          if ((await callerTenant(access.hooks, ctx)) !== DEFAULT_TENANT_ID) throw errors.forbidden("OIDC providers are shared by every tenant: the default tenant's administrators manage them");
          if (!hasPermission(principalOf(ctx), 'sso_provider:write')) throw errors.forbidden('permission sso_provider:write is required for OIDC providers');
          for (const f of ['entity_id', 'sso_url', 'idp_certs', 'sp_entity_id', 'acs_url', 'email_attribute'] as const) {
            if (input[f] !== undefined) throw accessErrors.invalid(`${f} is a SAML field`);
          }
          const issuerUrl = issuerOf(type, { issuer, base_url, realm, directory_id, okta_domain, authorization_server });
          const patch = {
            kind: 'oidc' as const,
            ...(input.name !== undefined ? { name: input.name } : {}),
            ...(issuerUrl !== undefined ? { issuer_url: issuerUrl } : {}),
            ...(client_id !== undefined ? { client_id } : {}),
            ...(client_secret !== undefined ? { client_secret } : {}),
            ...(scopes !== undefined ? { scopes } : {}),
            ...(groups_claim !== undefined ? { groups_claim } : input.id ? {} : { groups_claim: DEFAULT_GROUPS_CLAIM[type] }),
            ...(input.allowed_domains !== undefined ? { allowed_email_domains: input.allowed_domains } : {}),
            ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
            ...(pkce_required !== undefined ? { pkce_required } : {}),
          };
          if (!input.id && (!patch.name || !patch.issuer_url || !patch.client_id)) throw accessErrors.invalid(`a new ${type} provider needs name, client_id and its issuer fields`);
          const saved = input.id ? await core.identity.sso.update(input.id, patch) : await core.identity.sso.create(patch);
          ctx.auditResource('access_identity_provider', saved.id, { type, name: saved.name, issuer: saved.issuer_url, created: !input.id, client_secret_changed: client_secret !== undefined });
          if (!input.id) ctx.reply.status(201);
          return {
            id: saved.id, type: presetOf(saved.issuer_url), name: saved.name, issuer: saved.issuer_url, client_id: saved.client_id, client_secret_configured: saved.client_secret_configured,
            enabled: saved.enabled, scopes: saved.scopes, groups_claim: saved.groups_claim, allowed_domains: saved.allowed_email_domains, pkce_required: saved.pkce_required,
          };
        }
        const oidcFields = Object.entries({ issuer, base_url, realm, directory_id, okta_domain, authorization_server, client_id, client_secret, scopes, groups_claim, pkce_required }).filter(([, v]) => v !== undefined);
        if (oidcFields.length) throw accessErrors.invalid(`${oidcFields[0][0]} is not a SAML field`);
        const { provider, created } = await saml.upsert(await callerTenant(access.hooks, ctx), { ...input, acs_url: input.acs_url ?? (input.id ? undefined : `${ctx.origin}/v1/enroll/saml`) });
        ctx.auditResource('access_identity_provider', provider.id, { type, name: provider.name, created });
        if (created) ctx.reply.status(201);
        return provider;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/v1/admin/settings/providers/:provider_id', surface: 'access', permission: 'access_settings:write', tags, status: 204,
      audit: 'access.settings.provider.delete',
      summary: 'Delete a SAML or OIDC provider (devices enrolled through it stay)',
      schema: { params: providerId },
      handler: async (ctx) => {
        ctx.auditResource('access_identity_provider', ctx.params.provider_id);
        const tenantId = await callerTenant(access.hooks, ctx);
        const oidc = await core.identity.sso.get(ctx.params.provider_id).catch(() => undefined);
        if (oidc) {
          if (tenantId !== DEFAULT_TENANT_ID || !hasPermission(principalOf(ctx), 'sso_provider:write')) throw errors.forbidden("OIDC providers are managed by the default tenant's administrators with sso_provider:write");
          await core.identity.sso.delete(oidc.id);
          return;
        }
        await saml.remove(tenantId, ctx.params.provider_id);
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

import { z } from 'zod';
import { errors, RampartError } from '../../../core/errors.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { AccessServices } from '../access.services.js';
import { deviceInfo, wireguardKey } from './device.types.js';

const MINUTE_MS = 60_000;
const enrollFields = { public_key: wireguardKey, device: deviceInfo };
const tokenBody = z.object({ token: z.string().min(1).max(256), ...enrollFields });
const oidcBody = z.object({
  provider_id: z.string().uuid(),
  code: z.string().min(1).max(4096),
  redirect_uri: z.string().url().max(2048),
  code_verifier: z.string().min(43).max(128).optional(),
  nonce: z.string().min(1).max(256).optional(),
  ...enrollFields,
});
/**
 * The enroll answer: the enrollment part's fields; trust_anchors, spc, policy_digest (policy part) and pools
 * (gateways part) are added by their hooks.
 */
export const enrolled = z
  .object({
    device_id: z.string(),
    device_token: z.string().describe('the device bearer credential: shown this once'),
    tenant_id: z.string(),
    user_id: z.string().nullable(),
    overlay_ip: z.string(),
    overlay_cidr: z.string(),
    status: z.string(),
    channel: z.string(),
  })
  .passthrough();
const provider = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  issuer: z.string(),
  client_id: z.string(),
  authorize_url: z.string().nullable(),
  scopes: z.array(z.string()),
  pkce_required: z.boolean(),
});

/** A code the IdP refuses (used, expired, not for this client) is a bad credential: 401, as a bad token is. */
function asEnrollError(err: unknown): never {
  if (err instanceof RampartError && err.code === 'sso_failed') throw errors.unauthorized(err.message);
  throw err;
}

/** POST /v1/enroll (token), /v1/enroll/oidc, and the providers a mobile client may enroll through. */
export function enrollRoutes(access: AccessServices): RouteDefinition<any>[] {
  const { enroll } = access.enrollment;
  const { core } = access;
  const rateLimit = { max: core.config.access.enroll_rate_limit_per_minute, windowMs: MINUTE_MS };
  const tags = ['access enrollment'];
  return [
    defineRoute({
      method: 'POST', path: '/v1/enroll', surface: 'access', permission: 'public', credentials: 'own', tags, status: 201, rateLimit,
      audit: 'access.device.enroll',
      summary: 'Enroll a device with an enrollment token: 401 unknown token, 403 used up, expired or revoked, 409 entitlement_exceeded',
      schema: { body: tokenBody, response: enrolled },
      handler: async (ctx) => {
        const result = await enroll.withToken(ctx.body.token, ctx.body);
        ctx.auditResource('access_device', result.device_id, { via: 'token', overlay_ip: result.overlay_ip, user_id: result.user_id });
        return result;
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/enroll/oidc', surface: 'access', permission: 'public', credentials: 'own', tags, status: 201, rateLimit,
      summary: "Enroll a device with an OIDC authorization code the device obtained from one of the SSO providers (PKCE); the device is the IdP user's",
      schema: { body: oidcBody, response: enrolled },
      handler: async (ctx) => {
        const { provider_id, code, redirect_uri, code_verifier, nonce } = ctx.body;
        // The code exchange waits on the IdP: it runs before the transaction that creates the device.
        const user = await core.identity.sso.deviceLogin(provider_id, { code, redirect_uri, code_verifier, nonce }).catch(asEnrollError);
        const result = await core.db.transaction(async () => {
          const done = await enroll.forUser(user.id, 'oidc', ctx.body);
          await ctx.recordAudit({ action: 'access.device.enroll', actor: { type: 'user', id: user.id, name: user.username }, resource: { type: 'access_device', id: done.device_id }, result: 'success', details: { via: 'oidc', provider_id } });
          return done;
        });
        return result;
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/mobile/auth/oidc/providers', surface: 'access', permission: 'public', credentials: 'own', tags,
      summary: 'The enabled OIDC providers a client can enroll through (no secrets)',
      schema: { response: z.array(provider) },
      handler: async () => {
        const all = await core.identity.sso.list();
        return all
          .filter((p) => p.enabled && p.kind !== 'github')
          .map((p) => ({
            id: p.id, name: p.name, type: p.kind, issuer: p.issuer_url, client_id: p.client_id, authorize_url: p.authorization_url,
            scopes: p.scopes, pkce_required: p.pkce_required,
          }));
      },
    }),
  ];
}

import { z } from 'zod';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import type { AccessServices } from '../access.services.js';
import { errors } from '../../../core/errors.js';
import { pageQueryFields } from '../common/cursor.js';
import { callerTenant } from '../common/tenant-scope.js';
import { TOKEN_STATUSES, tokenView } from './token.types.js';

const tokenId = z.object({ token_id: z.string().uuid() });
const generateBody = z.object({
  name: z.string().trim().max(128).optional(),
  kind: z.enum(['device', 'gateway']).optional(),
  max_uses: z.number().int().min(0).optional(),
  expires_at: z.string().datetime({ offset: true }).optional(),
  expires_in_s: z.number().int().min(60).optional(),
  bound_user_id: z.string().uuid().nullish(),
  bound_email: z.string().email().max(320).nullish(),
  auto_group_ids: z.array(z.string().uuid()).max(100).optional(),
  pool_id: z.string().uuid().nullish(),
  channel: z.enum(['canary', 'stable']).nullish(),
  approval_required: z.boolean().optional(),
  tenant_id: z.string().uuid().optional(),
});
const listQuery = z.object({
  status: z.enum(TOKEN_STATUSES).optional(),
  kind: z.enum(['device', 'gateway']).optional(),
  tenant_id: z.string().uuid().optional(),
  bound_user_id: z.string().uuid().optional(),
  ...pageQueryFields,
});
const generated = tokenView.extend({ secret: z.string().describe('the token itself: shown this once, never again') });

/** /v1/admin/tokens: enrollment tokens for devices and gateways. */
export function tokenRoutes(access: AccessServices): RouteDefinition<any>[] {
  const { tokens } = access.enrollment;
  const tags = ['access tokens'];
  return [
    defineRoute({
      method: 'POST', path: '/v1/admin/tokens/generate', surface: 'access', permission: 'access_token:write', tags, status: 201,
      audit: 'access.token.generate',
      summary: 'Generate an enrollment token (kind device or gateway); the secret is in this answer only',
      schema: { body: generateBody, response: generated },
      handler: async (ctx) => {
        const tenantId = await callerTenant(access.hooks, ctx);
        if (ctx.body.tenant_id !== undefined && ctx.body.tenant_id !== tenantId) throw errors.forbidden('tokens are generated in your own tenant only');
        const { token, secret } = await tokens.generate({ ...ctx.body, tenant_id: tenantId }, principalOf(ctx).id);
        ctx.auditResource('access_token', token.id, { kind: token.kind, max_uses: token.max_uses, expires_at: token.expires_at, prefix: token.prefix });
        return { ...token, secret };
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/tokens', surface: 'access', permission: 'access_token:read', tags,
      summary: 'List enrollment tokens, newest first, by status (active|exhausted|expired|revoked), kind, tenant or bound user',
      schema: { query: listQuery, response: z.object({ items: z.array(tokenView), next_cursor: z.string().nullable() }) },
      handler: async (ctx) => {
        const tenantId = await callerTenant(access.hooks, ctx);
        // Another tenant's id filters down to nothing: a caller never sees another tenant's rows.
        if (ctx.query.tenant_id !== undefined && ctx.query.tenant_id !== tenantId) return { items: [], next_cursor: null };
        return tokens.list({ ...ctx.query, tenant_id: tenantId });
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/tokens/:token_id', surface: 'access', permission: 'access_token:read', tags,
      summary: 'One enrollment token (never its secret)',
      schema: { params: tokenId, response: tokenView },
      handler: async (ctx) => tokens.get(await callerTenant(access.hooks, ctx), ctx.params.token_id),
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/tokens/:token_id/revoke', surface: 'access', permission: 'access_token:write', tags,
      audit: 'access.token.revoke',
      summary: 'Revoke an enrollment token: later enrollments with it get 403 (409 when already revoked)',
      schema: { params: tokenId, response: tokenView },
      handler: async (ctx) => {
        ctx.auditResource('access_token', ctx.params.token_id);
        return tokens.revoke(await callerTenant(access.hooks, ctx), ctx.params.token_id, principalOf(ctx).id);
      },
    }),
  ];
}

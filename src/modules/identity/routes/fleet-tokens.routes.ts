import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import type { ApiKeyView } from '../../../core/identity/identity.types.js';
import { assertCanGrant } from '../../../core/identity/users/grant-guards.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { idParam, principalOf } from './common.js';

const tokenView = z.object({
  id: z.string(),
  name: z.string(),
  /** The secret's first characters, to tell tokens apart. */
  prefix: z.string(),
  role_id: z.string().nullable(),
  permissions: z.array(z.string()),
  created_by: z.string(),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
const createBody = z.object({
  name: z.string().trim().min(1).max(100),
  role_id: z.string().min(1).max(64),
  expires_at: z.iso.datetime({ offset: true }).nullish(),
});

const view = (key: ApiKeyView) => {
  const { masked_key, ...rest } = key;
  return { ...rest, prefix: masked_key.replace(/…$/, '') };
};

/**
 * OpenWatch's API tokens over the core's API keys: `owk_` + 32 random bytes, shown once, stored as a sha256, used
 * as `Authorization: Bearer owk_...`. A token acts as the role chosen at creation (its permissions then, within
 * the creator's own, and at every use within what the creator may still do).
 */
export function fleetTokensRoutes(core: Core): RouteDefinition<any>[] {
  const { apiKeys, rbac } = core.identity;
  const tags = ['tokens'];
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/tokens', surface: 'fleet', permission: 'token:read', tags,
      summary: 'Every API token, newest first (never the secret)',
      schema: { response: z.object({ tokens: z.array(tokenView) }) },
      handler: async () => ({ tokens: (await apiKeys.list()).map(view) }),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/tokens', surface: 'fleet', permission: 'token:write', tags, status: 201,
      audit: 'identity.api_key.create',
      summary: 'Create a token bound to a role; the response is the only place the secret (token) appears',
      schema: { body: createBody, response: tokenView.extend({ token: z.string() }) },
      handler: async (ctx) => {
        const principal = principalOf(ctx);
        const role = await rbac.getRole(ctx.body.role_id);
        await assertCanGrant(rbac, principal, [role.name]);
        const { key, secret } = await apiKeys.create(principal, {
          name: ctx.body.name, permissions: role.permissions, expires_at: ctx.body.expires_at ?? null, role_id: role.name, prefix: 'owk_',
        });
        ctx.auditResource('api_key', key.id, { name: key.name, role: role.name, expires_at: key.expires_at });
        return { ...view(key), token: secret };
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/tokens/:id', surface: 'fleet', permission: 'token:delete', tags, status: 204,
      audit: 'identity.api_key.revoke', summary: 'Revoke a token; it stops working at once on every node',
      schema: { params: idParam },
      handler: async (ctx) => {
        ctx.auditResource('api_key', ctx.params.id);
        await apiKeys.revoke(ctx.params.id);
      },
    }),
  ];
}

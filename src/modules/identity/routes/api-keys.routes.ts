import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import type { ApiKeyView } from '../../../core/identity/identity.types.js';
import { hasPermission } from '../../../core/principal.js';
import { itemsWithTotal, pageDoc, pageQuery } from '../../../http/pagination.js';
import { defineRoute, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import { idParam, principalOf } from './common.js';
import { callerScope } from './tenant-scope.js';
import type { TenantScope } from '../../../core/tenancy/tenancy.js';

const apiKeyView = z.object({
  id: z.string(),
  name: z.string(),
  masked_key: z.string(),
  permissions: z.array(z.string()),
  created_by: z.string(),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});

/** The one response that carries the secret: shown once, at creation. */
const createdKey = z.object({
  id: z.string(),
  name: z.string(),
  key: z.string(),
  /** AiFw's prefix: the key's first 12 characters, to recognise it later. */
  prefix: z.string(),
  permissions: z.array(z.string()),
  created_at: z.string(),
  expires_at: z.string().nullable(),
});

const name = z.string().trim().min(1).max(100);
const expiresAt = z.iso.datetime({ offset: true }).nullish();

/**
 * API keys: the edge's auth/api-keys (create, list, revoke) and the access control plane's admin/api-keys
 * (create, list, revoke). Any user may mint a key within their own permissions; lists show the caller's own keys unless
 * they may read everyone's. The secret appears only in the create response, never in an audit row.
 */
export function apiKeysRoutes(core: Core): RouteDefinition<any>[] {
  const { apiKeys } = core.identity;
  const tags = ['api-keys'];

  async function create(ctx: RouteContext<any>, input: { name: string; permissions: string[]; expires_at?: string | null }) {
    const { key, secret } = await apiKeys.create(principalOf(ctx), input);
    ctx.auditResource('api_key', key.id, { name: key.name, permissions: key.permissions, expires_at: key.expires_at });
    return { id: key.id, name: key.name, key: secret, prefix: secret.slice(0, 12), permissions: key.permissions, created_at: key.created_at, expires_at: key.expires_at };
  }

  /**
   * One page of the caller's keys, or everyone's with readAll; the total in X-Total-Count. `scope` (the access
   * surface's tenant) narrows everyone's to the keys of the tenant's users: a key follows its owner.
   */
  async function visibleKeys(ctx: RouteContext<any>, readAll: string, scope: TenantScope = null): Promise<ApiKeyView[]> {
    const principal = principalOf(ctx);
    return itemsWithTotal(ctx, await apiKeys.listPage(ctx.query, hasPermission(principal, readAll) ? undefined : principal.id, scope));
  }

  /**
   * Revokes a key: the caller's own, or anyone's with writeAll (404 for an unknown id, 403 for another's). With a
   * tenant `scope`, a key whose owner is another tenant's user is unknown (404), as if it did not exist.
   */
  async function revoke(ctx: RouteContext<any>, writeAll: string, scope: TenantScope = null): Promise<void> {
    const principal = principalOf(ctx);
    ctx.auditResource('api_key', ctx.params.id);
    // Revocation is rare and keys are few: finding the key in the full list needs no lookup by id.
    const key = (await apiKeys.list()).find((k) => k.id === ctx.params.id);
    const hidden = key && scope !== null && (await core.identity.users.tenantOf(key.created_by).catch(() => null)) !== scope;
    if (!key || hidden) throw errors.notFound(`API key ${ctx.params.id} not found`);
    ctx.auditResource('api_key', key.id, { name: key.name, created_by: key.created_by });
    if (key.created_by !== principal.id && !hasPermission(principal, writeAll)) {
      throw errors.forbidden(`revoking another user's API key requires ${writeAll}`);
    }
    await apiKeys.revoke(key.id);
  }

  return [
    // edge (AiFw)
    defineRoute({
      method: 'POST', path: '/api/v1/auth/api-keys', surface: 'edge', permission: 'authenticated', tags, status: 201,
      audit: 'identity.api_key.create', summary: 'Create an API key scoped to a subset of your permissions; the secret is shown once',
      description: "Bound to the caller. Without permissions (AiFw's own body is just {name}) the key carries the caller's permissions; with them, a subset of the caller's (400 otherwise).",
      schema: {
        body: z.object({ name, permissions: z.array(z.string()).min(1).optional(), expires_at: expiresAt }),
        response: createdKey,
      },
      handler: (ctx) => create(ctx, { ...ctx.body, permissions: ctx.body.permissions ?? [...principalOf(ctx).permissions] }),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/auth/api-keys', surface: 'edge', permission: 'authenticated', tags,
      summary: `List API keys, masked, newest first: your own, or everyone's with users:read; ${pageDoc()}`,
      schema: { query: pageQuery(), response: z.array(apiKeyView) },
      handler: (ctx) => visibleKeys(ctx, 'users:read'),
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/auth/api-keys/:id', surface: 'edge', permission: 'authenticated', tags, status: 204,
      audit: 'identity.api_key.revoke', summary: "Revoke an API key: your own, or anyone's with users:write",
      schema: { params: idParam },
      handler: (ctx) => revoke(ctx, 'users:write'),
    }),

    // access (ZTNA control plane)
    defineRoute({
      method: 'POST', path: '/v1/admin/api-keys', surface: 'access', permission: 'token:write', tags, status: 201,
      audit: 'identity.api_key.create', summary: 'Generate an API key for machine-to-machine authentication; the secret is shown once',
      description: 'Without permissions, the key carries all of the caller\'s own permissions (never more, at any time).',
      schema: {
        body: z.object({ name, permissions: z.array(z.string()).min(1).optional(), expires_at: expiresAt }),
        response: createdKey,
      },
      handler: (ctx) => create(ctx, { ...ctx.body, permissions: ctx.body.permissions ?? [...principalOf(ctx).permissions] }),
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/api-keys', surface: 'access', permission: 'authenticated', tags,
      summary: `List API keys, masked, newest first: your own, or with token:read those of your tenant's users; ${pageDoc()}`,
      schema: { query: pageQuery(), response: z.object({ api_keys: z.array(apiKeyView) }) },
      handler: async (ctx) => ({ api_keys: await visibleKeys(ctx, 'token:read', await callerScope(core, ctx)) }),
    }),
    defineRoute({
      method: 'DELETE', path: '/v1/admin/api-keys/:id', surface: 'access', permission: 'authenticated', tags, status: 204,
      audit: 'identity.api_key.revoke', summary: "Revoke an API key: your own, or anyone's with token:write",
      description: 'The key stops authenticating at once; it stays listed with revoked_at. 404 for an unknown id or another tenant\'s key, 403 for another user\'s key without token:write.',
      schema: { params: idParam },
      handler: async (ctx) => revoke(ctx, 'token:write', await callerScope(core, ctx)),
    }),
  ];
}

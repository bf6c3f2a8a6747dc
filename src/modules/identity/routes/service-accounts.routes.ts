import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { itemsWithTotal, pageDoc, pageQuery } from '../../../http/pagination.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { actorOf, idParam, principalOf } from './common.js';

const role = z.enum(['admin', 'readonly']);

const accountView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  role,
  status: z.enum(['active', 'disabled']),
  created_at: z.string(),
  created_by: z.string().nullable(),
});

/** Token metadata: never the token itself. */
const tokenMeta = z.object({
  id: z.string(),
  service_account_id: z.string(),
  name: z.string().nullable(),
  created_at: z.string(),
  created_by: z.string().nullable(),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  kid: z.string(),
  role,
  status: z.enum(['active', 'revoked', 'expired']),
});

const name = z.string().trim().min(1).max(100);
const description = z.string().max(1000).nullish();
const tokenParams = z.object({ id: z.string().uuid(), token_id: z.string().uuid() });

/**
 * Neuwerk's service accounts and their tokens (egress). Tokens are JWTs with the account's id (sa_id), one
 * role never above the account's, and a jti naming the token row, so revocation and disabling end them at once.
 */
export function serviceAccountsRoutes(core: Core): RouteDefinition<any>[] {
  const { serviceAccounts } = core.identity;
  const tags = ['service-accounts'];
  const surface = 'egress' as const;

  return [
    defineRoute({
      method: 'GET', path: '/api/v1/service-accounts', surface, permission: 'service_account:read', tags,
      summary: `List service accounts with their role and status, by name; ${pageDoc()}`,
      schema: { query: pageQuery(), response: z.array(accountView) },
      handler: async (ctx) => itemsWithTotal(ctx, await serviceAccounts.list(ctx.query)),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/service-accounts', surface, permission: 'service_account:write', tags,
      audit: 'identity.service_account.create', summary: 'Create a service account (200 with the account, as Neuwerk answers)',
      schema: { body: z.object({ name, description, role }), response: accountView },
      handler: async (ctx) => {
        const account = await serviceAccounts.create(ctx.body, actorOf(principalOf(ctx)));
        ctx.auditResource('service_account', account.id, { name: account.name, role: account.role });
        return account;
      },
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/service-accounts/:id', surface, permission: 'service_account:write', tags,
      audit: 'identity.service_account.update', summary: 'Replace a service account: name and role are required, a description left out is cleared',
      description: "Neuwerk's ServiceAccountUpdateRequest replaces the record. status (active or disabled) is Rampart's addition and, left out, stays as it is.",
      schema: {
        params: idParam,
        body: z.object({ name, description, role, status: z.enum(['active', 'disabled']).optional() }),
        response: accountView,
      },
      handler: async (ctx) => {
        const { status, ...fields } = ctx.body;
        ctx.auditResource('service_account', ctx.params.id, { changes: Object.keys(ctx.body) });
        // A blank or absent description is none, as Neuwerk stores it.
        return serviceAccounts.update(ctx.params.id, { ...fields, description: fields.description?.trim() || null, ...(status ? { status } : {}) });
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/service-accounts/:id', surface, permission: 'service_account:write', tags, status: 204,
      audit: 'identity.service_account.disable', summary: 'Disable a service account and revoke all its tokens',
      schema: { params: idParam },
      handler: async (ctx) => {
        ctx.auditResource('service_account', ctx.params.id);
        await serviceAccounts.disable(ctx.params.id);
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/service-accounts/:id/tokens', surface, permission: 'service_account:read', tags,
      summary: `List an account's token metadata (never the raw token), newest first; ${pageDoc()}`,
      schema: { params: idParam, query: pageQuery(), response: z.array(tokenMeta) },
      handler: async (ctx) => itemsWithTotal(ctx, await serviceAccounts.listTokens(ctx.params.id, ctx.query)),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/service-accounts/:id/tokens', surface, permission: 'service_account:write', tags,
      audit: 'identity.service_account.token.create', summary: 'Mint a token; the raw token is returned once (200, as Neuwerk answers)',
      description: 'ttl ("3600s", "30m", "24h", "90d") and eternal are mutually exclusive; neither means 90 days. The role defaults to the account\'s and cannot exceed it.',
      schema: {
        params: idParam,
        body: z.object({ name: z.string().trim().min(1).max(100).nullish(), ttl: z.string().optional(), eternal: z.boolean().optional(), role: role.optional() }),
        response: z.object({ token: z.string(), token_meta: tokenMeta }),
      },
      handler: async (ctx) => {
        ctx.auditResource('service_account', ctx.params.id);
        const minted = await serviceAccounts.mintToken(ctx.params.id, ctx.body, actorOf(principalOf(ctx)));
        const meta = minted.token_meta;
        ctx.auditResource('service_account_token', meta.id, { service_account_id: ctx.params.id, role: meta.role, expires_at: meta.expires_at });
        return minted;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/service-accounts/:id/tokens/:token_id', surface, permission: 'service_account:write', tags, status: 204,
      audit: 'identity.service_account.token.revoke', summary: 'Revoke a token',
      schema: { params: tokenParams },
      handler: async (ctx) => {
        ctx.auditResource('service_account_token', ctx.params.token_id, { service_account_id: ctx.params.id });
        await serviceAccounts.revokeToken(ctx.params.id, ctx.params.token_id);
      },
    }),
  ];
}

import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { hasPermission } from '../../../core/principal.js';
import { itemsWithTotal, pageDoc, pageQuery } from '../../../http/pagination.js';
import { defineRoute, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import { actorOf, principalOf, userView } from './common.js';
import { assertNotSelf } from '../../../core/identity/users/grant-guards.js';
import { displayName, email, password, username } from './user-schemas.js';
import { callerScope, userInScope } from './tenant-scope.js';

const userId = z.string().uuid();
const userRef = z.object({ user_id: userId });
const lifecycleBody = z.discriminatedUnion('action', [
  z.object({ action: z.literal('create'), username, email: email.nullish(), display_name: displayName.nullish(), password: password.optional() }),
  z.object({ action: z.literal('update'), user_id: userId, email: email.nullish(), display_name: displayName.nullish() }),
  z.object({ action: z.literal('delete'), user_id: userId }),
  z.object({ action: z.literal('suspend'), user_id: userId }),
  z.object({ action: z.literal('reactivate'), user_id: userId }),
]);
const userResponse = z.object({ user: userView });

/**
 * The ZTNA control plane's user administration: one lifecycle endpoint plus password, suspend and reactivate. Each
 * acts within the caller's tenant (tenant-scope.ts): users are created in it, and another tenant's are unknown here.
 */
export function accessUsersRoutes(core: Core): RouteDefinition<any>[] {
  const { users } = core.identity;
  const tags = ['users'];

  async function lifecycle(ctx: RouteContext<{ body: typeof lifecycleBody }>) {
    const body = ctx.body;
    if (body.action === 'create') {
      const { action: _, ...input } = body;
      const user = await users.create({ ...input, tenant_id: await callerScope(core, ctx) }, actorOf(principalOf(ctx)));
      ctx.auditResource('user', user.id, { action: 'create', username: user.username });
      ctx.reply.status(201);
      return { user };
    }
    ctx.auditResource('user', body.user_id, { action: body.action });
    await userInScope(core, ctx, body.user_id);
    switch (body.action) {
      case 'update':
        return { user: await users.update(body.user_id, { email: body.email, display_name: body.display_name }) };
      case 'suspend':
        assertNotSelf(principalOf(ctx), body.user_id, 'suspend');
        return { user: await users.suspend(body.user_id) };
      case 'reactivate':
        return { user: await users.reactivate(body.user_id) };
      case 'delete':
        if (!hasPermission(principalOf(ctx), 'user:delete')) throw errors.forbidden('permission user:delete is required');
        assertNotSelf(principalOf(ctx), body.user_id, 'delete');
        await users.delete(body.user_id);
        return { user_id: body.user_id, deleted: true };
    }
  }

  return [
    defineRoute({
      method: 'GET', path: '/v1/admin/users', surface: 'access', permission: 'user:read', tags,
      summary: `List the users of your tenant (every tenant's for the default tenant's administrators), by username; ${pageDoc()} (also total in the body)`,
      schema: { query: pageQuery(), response: z.object({ users: z.array(userView), total: z.number().int() }) },
      handler: async (ctx) => {
        const page = await users.list({ ...ctx.query, scope: await callerScope(core, ctx) });
        return { users: itemsWithTotal(ctx, page), total: page.total };
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/users/lifecycle', surface: 'access', permission: 'user:write', tags,
      audit: 'identity.user.lifecycle',
      summary: 'Create (201), update, suspend, reactivate or delete (needs user:delete) a user',
      schema: {
        body: lifecycleBody,
        response: z.union([userResponse, z.object({ user_id: z.string(), deleted: z.literal(true) })]),
        responses: { 201: { description: 'created', schema: userResponse } },
      },
      handler: (ctx) => lifecycle(ctx),
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/users/password', surface: 'access', permission: 'user:write', tags, status: 204,
      audit: 'identity.user.password_set', summary: "Set or reset a user's password (ends the user's sessions)",
      schema: { body: z.object({ user_id: userId, password }) },
      handler: async (ctx) => {
        ctx.auditResource('user', ctx.body.user_id);
        await userInScope(core, ctx, ctx.body.user_id);
        await users.setPassword(ctx.body.user_id, ctx.body.password);
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/users/suspend', surface: 'access', permission: 'user:write', tags,
      audit: 'identity.user.suspend', summary: 'Suspend a user account; terminates all its sessions',
      schema: { body: userRef, response: userResponse },
      handler: async (ctx) => {
        ctx.auditResource('user', ctx.body.user_id);
        await userInScope(core, ctx, ctx.body.user_id);
        assertNotSelf(principalOf(ctx), ctx.body.user_id, 'suspend');
        return { user: await users.suspend(ctx.body.user_id) };
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/users/reactivate', surface: 'access', permission: 'user:write', tags,
      audit: 'identity.user.reactivate', summary: 'Reactivate a suspended user account',
      schema: { body: userRef, response: userResponse },
      handler: async (ctx) => {
        ctx.auditResource('user', ctx.body.user_id);
        await userInScope(core, ctx, ctx.body.user_id);
        return { user: await users.reactivate(ctx.body.user_id) };
      },
    }),
  ];
}

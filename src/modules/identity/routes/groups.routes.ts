import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { itemsWithTotal, pageDoc, pageQuery } from '../../../http/pagination.js';
import { defineRoute, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import { callerScope, groupInScope } from './tenant-scope.js';

const groupView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  member_ids: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
});
const name = z.string().min(1).max(128);
const description = z.string().max(1000).nullish();
const memberIds = z.array(z.string().uuid()).max(10_000).optional();
const groupId = z.string().uuid();
const lifecycleBody = z.discriminatedUnion('action', [
  z.object({ action: z.literal('create'), name, description, member_ids: memberIds }),
  z.object({ action: z.literal('update'), group_id: groupId, name: name.optional(), description, member_ids: memberIds }),
  z.object({ action: z.literal('delete'), group_id: groupId }),
]);
const groupResponse = z.object({ group: groupView });

/**
 * The ZTNA control plane's groups of users: a list, and one lifecycle endpoint for create, update and delete. Groups
 * are the caller's tenant's (tenant-scope.ts): created in it, with its users as members; another tenant's are unknown.
 */
export function groupsRoutes(core: Core): RouteDefinition<any>[] {
  const { groups } = core.identity;
  const tags = ['groups'];

  async function lifecycle(ctx: RouteContext<{ body: typeof lifecycleBody }>) {
    const body = ctx.body;
    switch (body.action) {
      case 'create': {
        const { action: _, ...input } = body;
        const group = await groups.create({ ...input, tenant_id: await callerScope(core, ctx) });
        ctx.auditResource('group', group.id, { action: 'create', name: group.name, members: group.member_ids.length });
        ctx.reply.status(201);
        return { group };
      }
      case 'update': {
        ctx.auditResource('group', body.group_id, { action: 'update', fields: Object.keys(body).filter((k) => k !== 'action' && k !== 'group_id') });
        await groupInScope(core, ctx, body.group_id);
        const { action: _, group_id, ...patch } = body;
        return { group: await groups.update(group_id, patch) };
      }
      case 'delete':
        ctx.auditResource('group', body.group_id, { action: 'delete' });
        await groupInScope(core, ctx, body.group_id);
        await groups.delete(body.group_id);
        return { group_id: body.group_id, deleted: true };
    }
  }

  return [
    defineRoute({
      method: 'GET', path: '/v1/admin/groups', surface: 'access', permission: 'group:read', tags,
      summary: `List your tenant's groups (every tenant's for the default tenant's administrators) with their member ids, by name; ${pageDoc()} (also total in the body)`,
      schema: { query: pageQuery(), response: z.object({ groups: z.array(groupView), total: z.number().int() }) },
      handler: async (ctx) => {
        const page = await groups.list(ctx.query, await callerScope(core, ctx));
        return { groups: itemsWithTotal(ctx, page), total: page.total };
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/groups/lifecycle', surface: 'access', permission: 'group:write', tags,
      audit: 'identity.group.lifecycle', summary: 'Create (201), update or delete a group; member_ids replace the members',
      schema: {
        body: lifecycleBody,
        response: z.union([groupResponse, z.object({ group_id: z.string(), deleted: z.literal(true) })]),
        responses: { 201: { description: 'created', schema: groupResponse } },
      },
      handler: (ctx) => lifecycle(ctx),
    }),
  ];
}

import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { pageOf } from '../../../core/db/paginate.js';
import { itemsWithTotal, pageDoc, pageQuery } from '../../../http/pagination.js';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import { memberView, type NetworkMembers } from '../networks/network-members.js';

const params = z.object({ network_id: z.string() });
const memberParams = z.object({ network_id: z.string(), target_user_id: z.string() });
const role = z.enum(['owner', 'member']);
const flags = {
  can_manage_nodes: z.boolean().optional(),
  can_invite_users: z.boolean().optional(),
  can_manage_firewall: z.boolean().optional(),
};
const addBody = z.object({ user_id: z.string().min(1), role: role.optional(), ...flags });
const updateBody = z.strictObject({ role: role.optional(), ...flags });
const tags = ['network-permissions'];

/** /api/networks/{id}/users: who belongs to a network, with what role and flags. */
export function networkUsersRoutes(members: NetworkMembers): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/networks/:network_id/users', surface: 'overlay', permission: 'authenticated', tags,
      summary: `List the users of a network (owner or system admin); ${pageDoc()}`,
      schema: { params, query: pageQuery(), response: z.array(memberView) },
      handler: async (ctx) => itemsWithTotal(ctx, pageOf(await members.list(principalOf(ctx), ctx.params.network_id), ctx.query)),
    }),
    defineRoute({
      method: 'POST', path: '/api/networks/:network_id/users', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.network_user.add',
      summary: 'Add a user to a network (can_invite_users; only owners add owners). 400 if already a member',
      schema: { params, body: addBody, response: memberView },
      handler: async (ctx) => {
        const added = await members.add(principalOf(ctx), ctx.params.network_id, ctx.body);
        ctx.auditResource('network', ctx.params.network_id, { user_id: added.user_id, role: added.role, can_manage_nodes: added.can_manage_nodes, can_invite_users: added.can_invite_users, can_manage_firewall: added.can_manage_firewall });
        return added;
      },
    }),
    defineRoute({
      method: 'PATCH', path: '/api/networks/:network_id/users/:target_user_id', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.network_user.update',
      summary: "Update a user's role and flags (owner only); the last owner cannot be demoted",
      schema: { params: memberParams, body: updateBody, response: memberView },
      handler: async (ctx) => {
        ctx.auditResource('network', ctx.params.network_id, { user_id: ctx.params.target_user_id, ...ctx.body });
        return members.update(principalOf(ctx), ctx.params.network_id, ctx.params.target_user_id, ctx.body);
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/networks/:network_id/users/:target_user_id', surface: 'overlay', permission: 'authenticated', tags, status: 204,
      audit: 'overlay.network_user.remove',
      summary: 'Remove a user from a network (owner only); the last owner cannot be removed',
      schema: { params: memberParams },
      handler: async (ctx) => {
        ctx.auditResource('network', ctx.params.network_id, { user_id: ctx.params.target_user_id });
        await members.remove(principalOf(ctx), ctx.params.network_id, ctx.params.target_user_id);
      },
    }),
  ];
}

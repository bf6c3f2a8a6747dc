import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import type { User } from '../../../core/identity/identity.types.js';
import { ssoSubjects } from '../../../core/identity/users/sso-subjects.js';
import { itemsWithTotal, pageDoc, pageQuery } from '../../../http/pagination.js';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import { assertCanGrant, assertNotSelf } from '../../../core/identity/users/grant-guards.js';
import { userNetworkView, type UserNetworks } from '../networks/user-networks.js';

const systemRole = z.enum(['system-admin', 'user']);
const overlayUser = z.object({
  id: z.string(),
  oidc_sub: z.string().nullable(),
  email: z.string().nullable(),
  system_role: systemRole,
  created_at: z.string(),
  network_count: z.number().int(),
});
const overlayUserDetail = overlayUser.extend({ networks: z.array(userNetworkView) });
const params = z.object({ user_id: z.string().uuid() });

/**
 * Nebula Commander's /api/users: system administrators (the admin role) manage users by system_role and see
 * their network memberships. The user guards are identity's, shared with the other surfaces' user routes.
 */
export function overlayUsersRoutes(core: Core, userNetworks: UserNetworks): RouteDefinition<any>[] {
  const { users, rbac } = core.identity;
  const tags = ['users'];

  async function views(list: User[]): Promise<z.infer<typeof overlayUser>[]> {
    const ids = list.map((u) => u.id);
    const [subjects, counts] = await Promise.all([ssoSubjects(core.db, ids), userNetworks.counts(ids)]);
    return list.map((u) => ({
      id: u.id,
      oidc_sub: subjects.get(u.id) ?? null,
      email: u.email,
      system_role: u.roles.includes('admin') ? 'system-admin' : 'user',
      created_at: u.created_at,
      network_count: counts.get(u.id) ?? 0,
    }));
  }
  const detail = async (id: string) => ({ ...(await views([await users.get(id)]))[0], networks: await userNetworks.of(id) });

  return [
    defineRoute({
      method: 'GET', path: '/api/users', surface: 'overlay', permission: 'user:read', tags,
      summary: `List all users with their network_count, by username; ${pageDoc()}`,
      schema: { query: pageQuery(), response: z.array(overlayUser) },
      handler: async (ctx) => views(itemsWithTotal(ctx, await users.list(ctx.query))),
    }),
    defineRoute({
      method: 'GET', path: '/api/users/:user_id', surface: 'overlay', permission: 'user:read', tags,
      summary: 'Get user details including networks (id, name, role, permission flags)', schema: { params, response: overlayUserDetail },
      handler: ({ params }) => detail(params.user_id),
    }),
    defineRoute({
      method: 'PATCH', path: '/api/users/:user_id', surface: 'overlay', permission: 'user:write', tags,
      audit: 'identity.user.update', summary: 'Update a user: system_role (system-admin or user)',
      schema: { params, body: z.object({ system_role: systemRole.optional() }), response: overlayUserDetail },
      handler: async (ctx) => {
        const id = ctx.params.user_id;
        ctx.auditResource('user', id, ctx.body.system_role ? { system_role: ctx.body.system_role } : undefined);
        if (ctx.body.system_role === 'system-admin') {
          const principal = principalOf(ctx);
          await assertCanGrant(core.identity.rbac, principal, ['admin']);
          await rbac.assign(id, 'admin', principal);
        } else if (ctx.body.system_role === 'user') {
          await rbac.unassign(id, 'admin');
        }
        return detail(id);
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/users/:user_id', surface: 'overlay', permission: 'user:delete', tags, status: 204,
      audit: 'identity.user.delete', summary: 'Delete a user and their network permissions; 409 if they are the last owner of a network',
      schema: { params },
      handler: async (ctx) => {
        ctx.auditResource('user', ctx.params.user_id);
        assertNotSelf(principalOf(ctx), ctx.params.user_id, 'delete');
        await userNetworks.assertMayDelete(ctx.params.user_id);
        await users.delete(ctx.params.user_id);
      },
    }),
  ];
}

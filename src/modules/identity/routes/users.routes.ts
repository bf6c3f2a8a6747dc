import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { pageQueryShape } from '../../../http/pagination.js';
import { actorOf, FLEET_PAGE, idParam, principalOf } from './common.js';
import { assertCanGrant, assertNotSelf } from '../../../core/identity/users/grant-guards.js';
import { displayName, email, password, roleNames, username, userStatus } from './user-schemas.js';
import { accessUsersRoutes } from './users-access.routes.js';
import { fleetUser, fleetUsers, fleetUserView } from './fleet-user-view.js';
import { fleetUserActionRoutes } from './users-fleet-actions.routes.js';
import { edgeUsersRoutes } from './users-edge.routes.js';

const listQuery = z.object({
  ...pageQueryShape(FLEET_PAGE),
  search: z.string().max(200).optional(),
  status: userStatus.optional(),
});
const roleRef = z.object({ role_id: z.string().min(1).max(64) });

/** Users in every dialect: fleet here, the edge and access shapes in their own files (overlay's: the overlay module). */
export function usersRoutes(core: Core): RouteDefinition<any>[] {
  const { users, rbac } = core.identity;
  const tags = ['users'];

  return [
    defineRoute({
      method: 'GET', path: '/api/v1/users', surface: 'fleet', permission: 'user:read', tags,
      summary: 'List users (search matches username, email and display name)',
      schema: {
        query: listQuery,
        // users: what OpenWatch's UI reads; items, total, limit, offset: the same page as Rampart's console reads it.
        response: z.object({
          users: z.array(fleetUserView),
          items: z.array(fleetUserView),
          total: z.number().int(),
          limit: z.number().int(),
          offset: z.number().int(),
        }),
      },
      handler: async ({ query }) => {
        const page = await users.list(query);
        const items = await fleetUsers(users, page.items);
        return { users: items, items, total: page.total, limit: query.limit, offset: query.offset };
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/users', surface: 'fleet', permission: 'user:write', tags, status: 201,
      audit: 'identity.user.create', summary: 'Create a user',
      schema: {
        body: z.object({ username, email, password, display_name: displayName.nullish(), roles: roleNames.optional() }),
        response: fleetUserView,
      },
      handler: async (ctx) => {
        const principal = principalOf(ctx);
        if (ctx.body.roles?.length) await assertCanGrant(core.identity.rbac, principal, ctx.body.roles);
        const user = await users.create(ctx.body, actorOf(principal));
        ctx.auditResource('user', user.id, { username: user.username, roles: user.roles });
        return fleetUser(users, user);
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/users/:id', surface: 'fleet', permission: 'user:read', tags,
      summary: 'Get a user', schema: { params: idParam, response: fleetUserView },
      handler: async ({ params }) => fleetUser(users, await users.get(params.id)),
    }),
    defineRoute({
      method: 'PATCH', path: '/api/v1/users/:id', surface: 'fleet', permission: 'user:write', tags,
      audit: 'identity.user.update', summary: 'Update a user (email, display name, status)',
      schema: {
        params: idParam,
        body: z.object({ email: email.nullish(), display_name: displayName.nullish(), status: userStatus.optional() }),
        response: fleetUserView,
      },
      handler: async (ctx) => {
        ctx.auditResource('user', ctx.params.id, { fields: Object.keys(ctx.body), ...(ctx.body.status ? { status: ctx.body.status } : {}) });
        if (ctx.body.status && ctx.body.status !== 'active') assertNotSelf(principalOf(ctx), ctx.params.id, `set to ${ctx.body.status}`);
        return fleetUser(users, await users.update(ctx.params.id, ctx.body));
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/users/:id', surface: 'fleet', permission: 'user:delete', tags, status: 204,
      audit: 'identity.user.delete', summary: 'Delete a user', schema: { params: idParam },
      handler: async (ctx) => {
        ctx.auditResource('user', ctx.params.id);
        assertNotSelf(principalOf(ctx), ctx.params.id, 'delete');
        await users.delete(ctx.params.id);
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/users/:id/roles::assign', surface: 'fleet', permission: 'role:assign', tags,
      audit: 'identity.role.assign', summary: 'Assign a role (by id or name) to a user',
      schema: { params: idParam, body: roleRef, response: fleetUserView },
      handler: async (ctx) => {
        ctx.auditResource('user', ctx.params.id, { role: ctx.body.role_id });
        const principal = principalOf(ctx);
        await assertCanGrant(core.identity.rbac, principal, [ctx.body.role_id]);
        await rbac.assign(ctx.params.id, ctx.body.role_id, actorOf(principal));
        return fleetUser(users, await users.get(ctx.params.id));
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/users/:id/roles::unassign', surface: 'fleet', permission: 'role:assign', tags,
      audit: 'identity.role.unassign', summary: 'Remove a role (by id or name) from a user',
      schema: { params: idParam, body: roleRef, response: fleetUserView },
      handler: async (ctx) => {
        ctx.auditResource('user', ctx.params.id, { role: ctx.body.role_id });
        await rbac.unassign(ctx.params.id, ctx.body.role_id);
        return fleetUser(users, await users.get(ctx.params.id));
      },
    }),
    ...fleetUserActionRoutes(core),
    ...edgeUsersRoutes(core),
    ...accessUsersRoutes(core),
  ];
}

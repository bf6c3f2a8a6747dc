import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import type { Role } from '../../../core/rbac/rbac.types.js';
import { mapPage, pageOf } from '../../../core/db/paginate.js';
import { itemsWithTotal, pageDoc, pageEnvelope, pageQuery } from '../../../http/pagination.js';
import { defineRoute, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import { actorOf, FLEET_PAGE, principalOf } from './common.js';
import { assertCanGrant, assertHolds } from '../../../core/identity/users/grant-guards.js';
import { roleView } from './user-schemas.js';
import { userInScope } from './tenant-scope.js';

const roleName = z.string().min(1).max(64);
const permissions = z.array(z.string().min(1).max(128)).max(1000);
const createBody = z.object({ name: roleName, description: z.string().max(1000).nullish(), permissions });
const updateBody = createBody.partial();
const roleParam = z.object({ id: z.string().min(1).max(64) });
const withEffective = roleView.extend({ effective_permissions: z.array(z.string()) });
const grantBody = z.object({ user_id: z.string().uuid(), role: z.string().min(1).max(64) });
/** A role as OpenWatch's UI reads it: the name is its id (what users' roles[] and roles:assign carry). */
const fleetRole = z.object({ id: z.string(), description: z.string().nullable(), is_built_in: z.boolean(), permissions: z.array(z.string()) });
const pageResponse = z.object({
  roles: z.array(fleetRole),
  items: z.array(withEffective),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
const grantResponse = z.object({ user_id: z.string(), roles: z.array(z.string()) });

/**
 * Roles and the permission registry: fleet lists and creates, the edge manages custom roles in full, the access
 * surface grants and revokes. Role definitions never grant what their author does not hold.
 */
export function rolesRoutes(core: Core): RouteDefinition<any>[] {
  const { rbac, users } = core.identity;
  const tags = ['roles'];
  const effective = (role: Role) => ({ ...role, effective_permissions: rbac.registry.expand(role.permissions) });

  /** A custom role within the creator's own permissions (fleet and edge alike). */
  async function createRole(ctx: RouteContext<{ body: typeof createBody }>) {
    assertHolds(principalOf(ctx), ctx.body.permissions);
    const role = await rbac.createRole(ctx.body);
    ctx.auditResource('role', role.id, { name: role.name, permissions: role.permissions });
    return role;
  }

  return [
    // fleet (OpenWatch)
    defineRoute({
      method: 'GET', path: '/api/v1/roles', surface: 'fleet', permission: 'role:read', tags,
      summary: `List roles (built-in and custom) with the permissions each one grants, as roles[] (OpenWatch) and items[]; ${pageDoc(FLEET_PAGE)}`,
      schema: { query: pageQuery(FLEET_PAGE), response: pageResponse },
      handler: async (ctx) => {
        const page = pageEnvelope(await mapPage(pageOf(await rbac.listRoles(), ctx.query), effective), ctx.query);
        const roles = page.items.map((r) => ({ id: r.name, description: r.description, is_built_in: r.builtin, permissions: r.permissions }));
        return { roles, ...page };
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/roles::create', surface: 'fleet', permission: 'role:write', tags, status: 201,
      audit: 'identity.role.create', summary: 'Create a custom role',
      schema: { body: createBody, response: withEffective },
      handler: async (ctx) => effective(await createRole(ctx)),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/auth/permissions::registry', surface: 'fleet', permission: 'role:read', tags,
      summary: 'The permission registry and the roles defined over it',
      schema: {
        response: z.object({
          permissions: z.array(z.object({ name: z.string(), description: z.string(), vocabulary: z.string() })),
          roles: z.array(z.object({ name: z.string(), builtin: z.boolean(), permissions: z.array(z.string()) })),
        }),
      },
      handler: async () => ({
        permissions: rbac.registry.list().map(({ name, description, vocabulary }) => ({ name, description, vocabulary })),
        roles: (await rbac.listRoles()).map(({ name, builtin, permissions: granted }) => ({ name, builtin, permissions: granted })),
      }),
    }),

    // edge (AiFw): roles are part of users:read / users:write
    defineRoute({
      method: 'GET', path: '/api/v1/auth/roles', surface: 'edge', permission: 'users:read', tags,
      summary: `List roles as {roles: [...]}, built-in roles with their permissions expanded; ${pageDoc()}`,
      schema: { query: pageQuery(), response: z.object({ roles: z.array(roleView) }) },
      handler: async (ctx) => ({
        roles: itemsWithTotal(ctx, pageOf(await rbac.listRoles(), ctx.query)).map((role) => (role.builtin ? { ...role, permissions: rbac.registry.expand(role.permissions) } : role)),
      }),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/auth/roles', surface: 'edge', permission: 'users:write', tags, status: 201,
      audit: 'identity.role.create', summary: 'Create a custom role',
      schema: { body: createBody, response: roleView },
      handler: (ctx) => createRole(ctx),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/auth/roles/:id', surface: 'edge', permission: 'users:write', tags,
      audit: 'identity.role.update', summary: 'Update a custom role (by id or name); built-in roles cannot change',
      schema: { params: roleParam, body: updateBody, response: roleView },
      handler: async (ctx) => {
        ctx.auditResource('role', ctx.params.id, { fields: Object.keys(ctx.body), ...(ctx.body.permissions ? { permissions: ctx.body.permissions } : {}) });
        if (ctx.body.permissions) assertHolds(principalOf(ctx), ctx.body.permissions);
        return rbac.updateRole(ctx.params.id, ctx.body);
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/auth/roles/:id', surface: 'edge', permission: 'users:write', tags, status: 204,
      audit: 'identity.role.delete', summary: 'Delete a custom role (by id or name) and its assignments',
      schema: { params: roleParam },
      handler: async (ctx) => {
        ctx.auditResource('role', ctx.params.id);
        await rbac.deleteRole(ctx.params.id);
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/auth/permissions', surface: 'edge', permission: 'users:read', tags,
      summary: 'Enumerate every permission',
      schema: { response: z.array(z.object({ name: z.string(), description: z.string() })) },
      handler: () => rbac.registry.list().map(({ name, description }) => ({ name, description })),
    }),

    // access (ZTNA control plane)
    defineRoute({
      method: 'POST', path: '/v1/admin/rbac/grant', surface: 'access', permission: 'role:assign', tags,
      audit: 'identity.role.assign', summary: 'Grant a role to a user',
      schema: { body: grantBody, response: grantResponse },
      handler: async (ctx) => {
        const { user_id, role } = ctx.body;
        ctx.auditResource('user', user_id, { role });
        await userInScope(core, ctx, user_id);
        const principal = principalOf(ctx);
        await assertCanGrant(core.identity.rbac, principal, [role]);
        await rbac.assign(user_id, role, actorOf(principal));
        return { user_id, roles: (await users.get(user_id)).roles };
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/rbac/revoke', surface: 'access', permission: 'role:assign', tags,
      audit: 'identity.role.unassign', summary: 'Revoke a role from a user',
      schema: { body: grantBody, response: grantResponse },
      handler: async (ctx) => {
        const { user_id, role } = ctx.body;
        ctx.auditResource('user', user_id, { role });
        await userInScope(core, ctx, user_id);
        await rbac.unassign(user_id, role);
        return { user_id, roles: (await users.get(user_id)).roles };
      },
    }),
  ];
}

import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import type { User, UserStatus } from '../../../core/identity/identity.types.js';
import { errors } from '../../../core/errors.js';
import { itemsWithTotal, pageDoc, pageQuery } from '../../../http/pagination.js';
import { defineRoute, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import { actorOf, idParam, principalOf } from './common.js';
import { assertCanGrant, assertNotSelf } from '../../../core/identity/users/grant-guards.js';
import { displayName, edgeUserView, email, password, roleNames, username, userStatus } from './user-schemas.js';

/** AiFw creates users with a role; without one, a new user can look but not touch. */
const DEFAULT_EDGE_ROLE = 'viewer';

const roleChoice = { role: z.string().min(1).max(64).optional(), roles: roleNames.optional() };
const createBody = z.object({ username, password, email: email.nullish(), display_name: displayName.nullish(), ...roleChoice });
const updateBody = z.object({
  /** AiFw's edit form sends the username back; it cannot change here (400 when it differs). */
  username: username.optional(),
  email: email.nullish(),
  display_name: displayName.nullish(),
  ...roleChoice,
  status: userStatus.optional(),
  /** AiFw's switch: false disables the account, true makes it active again. */
  enabled: z.boolean().optional(),
  password: password.optional(),
});

export function edgeView(user: User): z.infer<typeof edgeUserView> {
  return { ...user, role: user.roles[0] ?? null, enabled: user.status === 'active', totp_enabled: user.mfa_enabled, auth_provider: 'local' };
}

const rolesOf = (body: { role?: string; roles?: string[] }) => body.roles ?? (body.role ? [body.role] : undefined);

/** AiFw's /api/v1/auth/users: users with one role each (several accepted), guarded by users:read / users:write. */
export function edgeUsersRoutes(core: Core): RouteDefinition<any>[] {
  const { users, rbac } = core.identity;
  const tags = ['users'];

  async function update(ctx: RouteContext<{ params: typeof idParam; body: typeof updateBody }>): Promise<User> {
    const { id } = ctx.params;
    const { role, roles, enabled, password: newPassword, username: name, ...patch } = ctx.body;
    if (name !== undefined && name.toLowerCase() !== (await users.get(id)).username.toLowerCase()) throw errors.validation('username: a user cannot be renamed');
    const status: UserStatus | undefined = enabled === undefined ? patch.status : enabled ? 'active' : 'disabled';
    if (status && status !== 'active') assertNotSelf(principalOf(ctx), id, `set to ${status}`);
    await users.update(id, { ...patch, status });
    const wanted = rolesOf({ role, roles });
    if (wanted) {
      const held = new Set((await users.get(id)).roles);
      await assertCanGrant(core.identity.rbac, principalOf(ctx), wanted.filter((r) => !held.has(r)));
      await rbac.setRoles(id, wanted, actorOf(principalOf(ctx)));
    }
    if (newPassword !== undefined) await users.setPassword(id, newPassword);
    return users.get(id);
  }

  return [
    defineRoute({
      method: 'GET', path: '/api/v1/auth/users', surface: 'edge', permission: 'users:read', tags,
      summary: `List users, by username, as {data: [...]}; ${pageDoc()}`, schema: { query: pageQuery(), response: z.object({ data: z.array(edgeUserView) }) },
      handler: async (ctx) => ({ data: itemsWithTotal(ctx, await users.list(ctx.query)).map(edgeView) }),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/auth/users', surface: 'edge', permission: 'users:write', tags, status: 201,
      audit: 'identity.user.create', summary: `Create a user (role defaults to ${DEFAULT_EDGE_ROLE})`,
      schema: { body: createBody, response: edgeUserView },
      handler: async (ctx) => {
        const principal = principalOf(ctx);
        const roles = rolesOf(ctx.body) ?? [DEFAULT_EDGE_ROLE];
        await assertCanGrant(core.identity.rbac, principal, roles);
        const user = await users.create({ ...ctx.body, roles }, actorOf(principal));
        ctx.auditResource('user', user.id, { username: user.username, roles: user.roles });
        return edgeView(user);
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/auth/users/:id', surface: 'edge', permission: 'users:read', tags,
      summary: 'Get a user', schema: { params: idParam, response: edgeUserView },
      handler: async ({ params }) => edgeView(await users.get(params.id)),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/auth/users/:id', surface: 'edge', permission: 'users:write', tags,
      audit: 'identity.user.update', summary: 'Update a user: email, display name, role(s), enabled or status, password',
      schema: { params: idParam, body: updateBody, response: edgeUserView },
      handler: async (ctx) => {
        const { password: given, ...rest } = ctx.body;
        ctx.auditResource('user', ctx.params.id, { fields: Object.keys(rest), ...(given !== undefined ? { password_set: true } : {}) });
        return edgeView(await update(ctx));
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/auth/users/:id', surface: 'edge', permission: 'users:write', tags, status: 204,
      audit: 'identity.user.delete', summary: 'Delete a user', schema: { params: idParam },
      handler: async (ctx) => {
        ctx.auditResource('user', ctx.params.id);
        assertNotSelf(principalOf(ctx), ctx.params.id, 'delete');
        await users.delete(ctx.params.id);
      },
    }),
  ];
}

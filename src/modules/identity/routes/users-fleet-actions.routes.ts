import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors, RampartError } from '../../../core/errors.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { principalOf } from './common.js';
import { fleetUser, fleetUserView } from './fleet-user-view.js';
import { password } from './user-schemas.js';

/**
 * OpenWatch's administrator actions on an account, written as custom methods: POST /api/v1/users/{id}:disable,
 * :enable and :reset-password. The router cannot tell `{id}:disable` from `{id}` within one path segment, so one
 * route takes the segment whole and dispatches on the verb after the colon.
 */
const target = z.object({
  target: z
    .string()
    .regex(/^[0-9a-fA-F-]{36}:(disable|enable|reset-password)$/, 'must be {user id}:disable, :enable or :reset-password')
    .transform((value) => {
      const at = value.lastIndexOf(':');
      return { id: value.slice(0, at).toLowerCase(), verb: value.slice(at + 1) as 'disable' | 'enable' | 'reset-password' };
    }),
});
const body = z.object({ new_password: password.optional() }).optional();

export function fleetUserActionRoutes(core: Core): RouteDefinition<any>[] {
  const { users } = core.identity;
  return [
    defineRoute({
      method: 'POST', path: '/api/v1/users/:target', surface: 'fleet', permission: 'admin:user_manage', tags: ['users'],
      audit: 'identity.user.admin_action',
      summary: 'POST /api/v1/users/{id}:disable, {id}:enable, or {id}:reset-password {new_password}',
      description: 'Disabling ends every session of the user; disabling yourself is 409 users.cannot_disable_self. A reset ' +
        'password is checked against the password policy, ends every session, and must be changed at next sign-in.',
      schema: { params: target, body, response: fleetUserView },
      handler: async (ctx) => {
        const { id, verb } = ctx.params.target;
        ctx.auditResource('user', id, { action: verb });
        if (verb === 'disable') {
          if (principalOf(ctx).type === 'user' && principalOf(ctx).id === id) {
            throw new RampartError({ code: 'users.cannot_disable_self', status: 409, message: 'you cannot disable your own account' });
          }
          return fleetUser(users, await users.update(id, { status: 'disabled' }));
        }
        if (verb === 'enable') return fleetUser(users, await users.reactivate(id));
        const next = ctx.body?.new_password;
        if (!next) throw errors.validation('new_password is required');
        await users.setPassword(id, next);
        return fleetUser(users, await users.get(id));
      },
    }),
  ];
}

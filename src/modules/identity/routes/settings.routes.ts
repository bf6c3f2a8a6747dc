import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors, isRampartError } from '../../../core/errors.js';
import { authSettingsPatch, EDGE_AUTH_SETTING_KEYS } from '../../../core/identity/settings/auth-settings.service.js';
import type { Role } from '../../../core/rbac/rbac.types.js';
import type { AuthSettings } from '../../../core/identity/identity.types.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { loginRateLimit, userView } from './common.js';

const edgeKeys = Object.fromEntries(EDGE_AUTH_SETTING_KEYS.map((key) => [key, true as const])) as { [K in (typeof EDGE_AUTH_SETTING_KEYS)[number]]: true };
const edgePatch = authSettingsPatch.pick(edgeKeys);
const authSettings = edgePatch.required();

/**
 * The edge's run-time auth settings (lockout, token lifetimes, password length, self-registration) and its
 * self-service registration, which is off unless those settings turn it on.
 */
/** The edge's view of the settings: the fleet's auth policy fields are not part of AiFw's shape. */
function pickEdge(all: AuthSettings) {
  return Object.fromEntries(EDGE_AUTH_SETTING_KEYS.map((key) => [key, all[key]]));
}

export function settingsRoutes(core: Core): RouteDefinition<any>[] {
  const { settings, users, rbac } = core.identity;
  const tags = ['auth'];

  async function findRole(name: string): Promise<Role | undefined> {
    try {
      return await rbac.getRole(name);
    } catch (err) {
      if (isRampartError(err) && err.status === 404) return undefined;
      throw err;
    }
  }

  return [
    defineRoute({
      method: 'GET', path: '/api/v1/auth/settings', surface: 'edge', permission: 'settings:read', tags,
      summary: 'Auth settings: lockout, token lifetimes, password length, registration',
      schema: { response: authSettings },
      handler: async () => pickEdge(await settings.get()),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/auth/settings', surface: 'edge', permission: 'settings:write', tags,
      audit: 'identity.settings.update', summary: 'Change auth settings; only the fields given change',
      schema: { body: edgePatch, response: authSettings },
      handler: async (ctx) => {
        const roleName = ctx.body.registration_role;
        if (roleName !== undefined && !(await findRole(roleName))) throw errors.validation(`registration_role: role ${roleName} does not exist`);
        ctx.auditResource('auth_settings', null, { changes: ctx.body });
        return pickEdge(await settings.update(ctx.body));
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/auth/register', surface: 'edge', permission: 'public', tags, status: 201,
      rateLimit: loginRateLimit(core), audit: 'identity.user.register',
      summary: 'Self-service registration (403 unless enabled in the auth settings)',
      schema: {
        body: z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(1024), email: z.string().trim().max(254).nullish() }),
        response: userView,
      },
      handler: async (ctx) => {
        const current = await settings.get();
        if (!current.registration_enabled) throw errors.forbidden('registration is disabled');
        // A setting naming a role deleted since is the operator's to fix, not the registrant's.
        const role = await findRole(current.registration_role);
        if (!role) throw errors.conflict(`the registration role ${current.registration_role} does not exist; an administrator must set registration_role`);
        const user = await users.create({ username: ctx.body.username, password: ctx.body.password, email: ctx.body.email ?? null, roles: [role.name] });
        ctx.auditResource('user', user.id, { username: user.username, role: role.name });
        return user;
      },
    }),
  ];
}

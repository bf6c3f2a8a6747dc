import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors, isRampartError } from '../../../core/errors.js';
import { authSettingsPatch, EDGE_AUTH_SETTING_KEYS } from '../../../core/identity/settings/auth-settings.service.js';
import type { Role } from '../../../core/rbac/rbac.types.js';
import type { AuthSettings } from '../../../core/identity/identity.types.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { loginRateLimit, userView } from './common.js';

const edgeKeys = Object.fromEntries(EDGE_AUTH_SETTING_KEYS.map((key) => [key, true as const])) as { [K in (typeof EDGE_AUTH_SETTING_KEYS)[number]]: true };
/** AiFw's own names for the same settings (its settings page reads and writes these). */
const aifwNames = z.object({
  access_token_expiry_mins: z.number().int().min(1).max(1440),
  refresh_token_expiry_days: z.number().int().min(1).max(90),
  require_totp: z.boolean(),
  max_login_attempts: z.number().int().min(0).max(100),
  lockout_duration_secs: z.number().int().min(60).max(86_400),
  allow_registration: z.boolean(),
});
const edgePatch = authSettingsPatch.pick(edgeKeys).extend(aifwNames.partial().shape).strict();
const authSettings = authSettingsPatch.pick(edgeKeys).required().extend(aifwNames.shape);

/**
 * The edge's run-time auth settings (lockout, token lifetimes, password length, self-registration) and its
 * self-service registration, which is off unless those settings turn it on.
 */
/** The edge's view of the settings: the fleet's auth policy fields are not part of AiFw's shape. */
function pickEdge(all: AuthSettings) {
  return {
    ...Object.fromEntries(EDGE_AUTH_SETTING_KEYS.map((key) => [key, all[key]])),
    access_token_expiry_mins: Math.round(all.access_token_ttl_s / 60),
    refresh_token_expiry_days: Math.max(1, Math.round(all.refresh_token_ttl_s / 86_400)),
    require_totp: all.mfa_required,
    max_login_attempts: all.lockout_threshold,
    lockout_duration_secs: all.lockout_minutes * 60,
    allow_registration: all.registration_enabled,
  };
}

/** AiFw's names folded into Rampart's settings (Rampart's own names win when both are given). */
function fromAifw(body: z.infer<typeof edgePatch>): Partial<AuthSettings> {
  const { access_token_expiry_mins, refresh_token_expiry_days, require_totp, max_login_attempts, lockout_duration_secs, allow_registration, ...own } = body;
  return {
    ...(access_token_expiry_mins !== undefined ? { access_token_ttl_s: access_token_expiry_mins * 60 } : {}),
    ...(refresh_token_expiry_days !== undefined ? { refresh_token_ttl_s: refresh_token_expiry_days * 86_400 } : {}),
    ...(require_totp !== undefined ? { mfa_required: require_totp } : {}),
    ...(max_login_attempts !== undefined ? { lockout_threshold: max_login_attempts } : {}),
    ...(lockout_duration_secs !== undefined ? { lockout_minutes: Math.max(1, Math.round(lockout_duration_secs / 60)) } : {}),
    ...(allow_registration !== undefined ? { registration_enabled: allow_registration } : {}),
    ...own,
  };
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
        return pickEdge(await settings.update(fromAifw(ctx.body)));
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

import { z } from 'zod';
import { errors } from '../../errors.js';
import type { IdentityDeps } from '../index.js';
import { IDENTITY_CHANGED, type AuthSettings, type AuthSettingsService, type IdentityChange } from '../identity.types.js';
import { createAuthSettingsStore } from './auth-settings.store.js';

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** What each setting may be: the ranges of [auth] in core/config/schema.ts. */
const fields = {
  registration_enabled: z.boolean(),
  // Existence is checked where the role is used (registration); here only the shape of a role name.
  registration_role: z.string().regex(/^[a-z0-9_-]{1,64}$/, 'must be a role name (a-z, 0-9, _ and -)'),
  lockout_threshold: int(0, 100),
  lockout_minutes: int(1, 1_440),
  password_min_length: int(8, 128),
  access_token_ttl_s: int(60, 86_400),
  refresh_token_ttl_s: int(300, 90 * 86_400),
  session_ttl_s: int(300, 30 * 86_400),
  // OpenWatch's auth policy (GET/PUT /api/v1/auth-policy): the idle window its UI enforces, and whether every
  // user must enroll in MFA.
  session_idle_timeout_s: int(300, 86_400),
  mfa_required: z.boolean(),
};

/** The settings the edge's /api/v1/auth/settings has always carried; the fleet's auth policy adds the rest. */
export const EDGE_AUTH_SETTING_KEYS = [
  'registration_enabled', 'registration_role', 'lockout_threshold', 'lockout_minutes', 'password_min_length',
  'access_token_ttl_s', 'refresh_token_ttl_s', 'session_ttl_s',
] as const;

export const authSettingsPatch = z.object(fields).partial().strict();

/**
 * Auth settings operators change at run time, over the [auth] config defaults. get() runs on every login, so
 * the merged settings are cached and forgotten on IDENTITY_CHANGED {all}, which reaches every node.
 */
export function createAuthSettings(deps: IdentityDeps): AuthSettingsService {
  const store = createAuthSettingsStore(deps.db);
  const auth = deps.config.auth;
  const defaults: AuthSettings = {
    registration_enabled: false,
    registration_role: 'viewer',
    lockout_threshold: auth.lockout_threshold,
    lockout_minutes: auth.lockout_minutes,
    password_min_length: auth.password_min_length,
    access_token_ttl_s: auth.access_token_ttl_s,
    refresh_token_ttl_s: auth.refresh_token_ttl_s,
    session_ttl_s: auth.session_ttl_s,
    session_idle_timeout_s: 15 * 60,
    mfa_required: false,
  };
  let cached: Promise<AuthSettings> | undefined;

  deps.events.subscribe(IDENTITY_CHANGED, (event) => {
    if ((event.payload as IdentityChange).all) forget();
  });

  function forget() {
    cached = undefined;
  }

  async function load(): Promise<AuthSettings> {
    const stored = await store.all();
    const settings: Record<string, unknown> = { ...defaults };
    // A row that no longer validates (written by another version) leaves that setting at its default.
    for (const [key, schema] of Object.entries(fields)) {
      const value = schema.safeParse(stored[key]);
      if (key in stored && value.success) settings[key] = value.data;
    }
    // Shared by every caller until the next change: frozen so no caller can alter it for the others.
    return Object.freeze(settings) as unknown as AuthSettings;
  }

  return {
    get() {
      if (cached) return cached;
      const loading = load();
      cached = loading;
      // A failed read is not remembered; an invalidation while loading already dropped this promise.
      loading.catch(() => {
        if (cached === loading) forget();
      });
      return loading;
    },

    async update(patch) {
      const parsed = authSettingsPatch.safeParse(patch);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
        throw errors.validation(problems.join('; '));
      }
      const at = deps.now().toISOString();
      await deps.db.transaction(async () => {
        for (const [key, value] of Object.entries(parsed.data)) if (value !== undefined) await store.put(key, value, at);
      });
      forget();
      await deps.events.publish<IdentityChange>(IDENTITY_CHANGED, { all: true });
      return load();
    },
  };
}

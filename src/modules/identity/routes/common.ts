import { principalOf } from '../../../http/route.js';
import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import type { Actor, ClientContext } from '../../../core/identity/identity.types.js';
import { SESSION_COOKIES } from '../../../core/identity/identity.types.js';
import type { Principal } from '../../../core/principal.js';
import type { RouteContext } from '../../../http/route.js';

/** What the identity routes share: schemas of the common shapes, and small adapters from a request. */

export const userView = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  display_name: z.string().nullable(),
  status: z.enum(['active', 'suspended', 'disabled']),
  mfa_enabled: z.boolean(),
  roles: z.array(z.string()),
  last_login_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** The user as login responses give it: {id, username, email, role} (role: the first of the user's roles). */
export const loginUser = z.object({ id: z.string(), username: z.string(), email: z.string().nullable(), role: z.string().nullable() });

export const tokenPair = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
});

export const idParam = z.object({ id: z.string().uuid() });

/** OpenWatch's list paging (its users list): ?limit 1-200, default 50, and ?offset. */
export const FLEET_PAGE = { defaultLimit: 50, maxLimit: 200 };

export function clientOf(ctx: RouteContext<any>): ClientContext {
  return { clientIp: ctx.clientIp, userAgent: ctx.userAgent };
}

export function actorOf(principal: Principal): Actor {
  return { type: principal.type, id: principal.id, name: principal.name };
}


/** The calling user; 403 for API keys and service accounts on routes that act on "my" account. */
export function userIdOf(ctx: RouteContext<any>): string {
  const p = principalOf(ctx);
  if (p.type !== 'user') throw errors.forbidden('only a user can do this (not an API key or a service account)');
  return p.id;
}

/** Sets the session cookie (rampart_session) for a session; clients of every spec send it back under that name. */
export async function setSessionCookie(core: Core, ctx: RouteContext<any>, sessionId: string, name: (typeof SESSION_COOKIES)[number] = 'rampart_session') {
  const { token, maxAgeSeconds } = await core.identity.sessions.cookieToken(sessionId);
  ctx.reply.cookie(name, token, { maxAgeSeconds });
}

/** Clears every name the session cookie goes by. */
export function clearSessionCookies(ctx: RouteContext<any>) {
  for (const name of SESSION_COOKIES) if (ctx.cookies[name] !== undefined || name === 'rampart_session') ctx.reply.clearCookie(name);
}

/** The per-IP limit every login, token-login and enrollment endpoint carries. */
export function loginRateLimit(core: Core) {
  return { max: core.config.auth.login_rate_limit_per_minute, windowMs: 60_000 };
}

export { principalOf };

import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { defineRoute, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import { loginRateLimit, principalOf, userIdOf } from './common.js';
import { userInScope } from './tenant-scope.js';

const enrollment = z.object({ provisioning_uri: z.string(), secret: z.string() });
const recoveryCodes = z.object({ recovery_codes: z.array(z.string()) });
/** AiFw's totp/setup answers the secret, the provisioning URI and the recovery codes together. */
const edgeEnrollment = enrollment.extend(recoveryCodes.shape).describe('EdgeTotpSetup');
/** A TOTP code, or a recovery code where one is accepted. */
const code = z.string().trim().min(6).max(32);
const userId = z.string().uuid();
const ticket = z.object({ ticket: z.string(), expires_in: z.number().int(), expires_in_seconds: z.number().int() });

/**
 * TOTP MFA in three dialects: the caller's own enrollment (fleet mfa:enroll/mfa:verify, edge totp/*), an
 * administrator's for any user (access users/totp/*), and the edge's single-use tickets for browser streams.
 * The second login step (totp/login) lives with the login routes. Audit rows name the user, never a code or secret.
 */
export function mfaRoutes(core: Core): RouteDefinition<any>[] {
  const { mfa } = core.identity;
  const rateLimit = loginRateLimit(core);
  const tags = ['auth'];

  /** Names the user in the audit row and returns its id. */
  const audited = (ctx: RouteContext<any>, id: string, details?: Record<string, unknown>) => {
    ctx.auditResource('user', id, details);
    return id;
  };
  const self = (ctx: RouteContext<any>, details?: Record<string, unknown>) => audited(ctx, userIdOf(ctx), details);
  /** An administrator's target: a user of the caller's tenant (another tenant's is unknown: 404). */
  const target = async (ctx: RouteContext<any>, details?: Record<string, unknown>) => {
    const id = audited(ctx, ctx.body.user_id, details);
    await userInScope(core, ctx, id);
    return id;
  };

  return [
    // fleet (OpenWatch)
    defineRoute({
      method: 'POST', path: '/api/v1/auth/mfa::enroll', surface: 'fleet', permission: 'authenticated', tags, rateLimit,
      audit: 'identity.mfa.enroll', summary: 'Begin TOTP enrollment; returns a provisioning_uri',
      schema: { response: enrollment },
      handler: (ctx) => mfa.enroll(self(ctx)),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/auth/mfa::verify', surface: 'fleet', permission: 'authenticated', tags, rateLimit,
      audit: 'identity.mfa.verify', summary: 'Confirm an enrolled secret; returns one-time recovery codes',
      schema: { body: z.object({ otp: code }), response: recoveryCodes },
      handler: (ctx) => mfa.verify(self(ctx), ctx.body.otp),
    }),

    // edge (AiFw)
    defineRoute({
      method: 'POST', path: '/api/v1/auth/totp/setup', surface: 'edge', permission: 'authenticated', tags, rateLimit,
      audit: 'identity.mfa.enroll', summary: 'Begin TOTP enrolment; returns the secret and the recovery codes (valid once verified; totp/verify answers them again)',
      schema: { response: edgeEnrollment },
      handler: (ctx) => mfa.enroll(self(ctx), { recoveryCodes: true }),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/auth/totp/verify', surface: 'edge', permission: 'authenticated', tags, rateLimit,
      audit: 'identity.mfa.verify', summary: 'Verify and activate TOTP; answers the recovery codes totp/setup issued, now valid',
      schema: { body: z.object({ code }), response: recoveryCodes },
      handler: (ctx) => mfa.verify(self(ctx), ctx.body.code),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/auth/totp/disable', surface: 'edge', permission: 'authenticated', tags, rateLimit,
      audit: 'identity.mfa.disable', status: 204, summary: 'Disable TOTP for the current user (a current or recovery code required)',
      schema: { body: z.object({ code }) },
      handler: async (ctx) => void (await mfa.disable(self(ctx, { by_admin: false }), { code: ctx.body.code })),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/auth/ws-ticket', surface: 'edge', permission: 'authenticated', tags, rateLimit,
      summary: 'Mint a single-use ticket for a WebSocket or EventSource (?ticket=), valid 30 seconds',
      schema: { response: ticket },
      handler: (ctx) => {
        const principal = principalOf(ctx);
        if (principal.type !== 'user' && principal.type !== 'api_key') throw errors.forbidden('tickets are issued to users and API keys only');
        const issued = core.identity.tickets.issue(principal);
        return { ...issued, expires_in_seconds: issued.expires_in };
      },
    }),

    // access (ZTNA control plane): an administrator acting on a user
    defineRoute({
      method: 'POST', path: '/v1/admin/users/totp/enroll', surface: 'access', permission: 'user:write', tags, rateLimit,
      audit: 'identity.mfa.enroll', summary: "Start TOTP enrollment for a user; returns a provisioning URI",
      schema: { body: z.object({ user_id: userId }), response: enrollment },
      handler: async (ctx) => mfa.enroll(await target(ctx)),
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/users/totp/verify', surface: 'access', permission: 'user:write', tags, rateLimit,
      audit: 'identity.mfa.verify', summary: "Verify a TOTP code to complete a user's MFA enrollment",
      schema: { body: z.object({ user_id: userId, code }), response: recoveryCodes },
      handler: async (ctx) => mfa.verify(await target(ctx), ctx.body.code),
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/users/totp/disable', surface: 'access', permission: 'user:write', tags,
      audit: 'identity.mfa.disable', status: 204, summary: 'Disable MFA for a user (admin action, audit-logged)',
      schema: { body: z.object({ user_id: userId }) },
      handler: async (ctx) => void (await mfa.disable(await target(ctx, { by_admin: true }), { byAdmin: true })),
    }),
  ];
}

import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { itemsWithTotal, pageDoc, pageQueryShape } from '../../../http/pagination.js';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import type { AccessGrantService } from '../workflows/access-grants/access-grant.service.js';

const tags = ['access-grants'];
const resourceType = z.enum(['network', 'node']);

const accessGrantView = z.object({
  id: z.string(),
  admin_user_id: z.string(),
  admin_email: z.string().nullable(),
  resource_type: resourceType,
  resource_id: z.string(),
  resource_name: z.string(),
  network_id: z.string(),
  granted_by_user_id: z.string(),
  granted_by_email: z.string().nullable(),
  reason: z.string(),
  expires_at: z.string(),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
  active: z.boolean(),
});

const createBody = z.object({
  admin_user_id: z.string().min(1),
  resource_type: resourceType,
  resource_id: z.string().min(1),
  duration_hours: z.number().int().min(1).max(720).default(24),
  reason: z.string().max(1000).refine((r) => r.trim() !== '', 'reason must not be empty'),
});
/** FastAPI's bool query values. */
const queryBool = z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']).transform((v) => ['true', '1', 'yes', 'on'].includes(v));

/** /api/access-grants: an owner lets a system admin read a network's (or node's) secrets for a while, for support. */
export function accessGrantsRoutes(grants: AccessGrantService): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'POST', path: '/api/access-grants', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.access_grant.create',
      summary: 'Grant a system admin temporary access (1 to 720 hours, with a reason) to a network or node; network owners only. 400 if the user is not a system admin',
      schema: { body: createBody, response: accessGrantView },
      handler: async (ctx) => {
        const grant = await grants.create(principalOf(ctx), ctx.body);
        ctx.auditResource('access_grant', grant.id, {
          admin_user_id: grant.admin_user_id, resource_type: grant.resource_type, resource_id: grant.resource_id,
          network_id: grant.network_id, expires_at: grant.expires_at, reason: grant.reason,
        });
        return grant;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/access-grants', surface: 'overlay', permission: 'authenticated', tags,
      summary: `List grants you gave (owners) or hold (system admins), newest first; active_only (default true) hides revoked and expired ones; ${pageDoc()}`,
      schema: { query: z.object({ active_only: queryBool.default(true), ...pageQueryShape() }), response: z.array(accessGrantView) },
      handler: async (ctx) => itemsWithTotal(ctx, await grants.list(principalOf(ctx), ctx.query.active_only, ctx.query)),
    }),
    defineRoute({
      method: 'DELETE', path: '/api/access-grants/:grant_id', surface: 'overlay', permission: 'authenticated', tags, status: 204,
      audit: 'overlay.access_grant.revoke',
      summary: 'Revoke a grant; only whoever gave it',
      schema: { params: z.object({ grant_id: z.string() }) },
      handler: async (ctx) => {
        ctx.auditResource('access_grant', ctx.params.grant_id);
        const grant = await grants.revoke(principalOf(ctx), ctx.params.grant_id);
        ctx.auditResource('access_grant', grant.id, { admin_user_id: grant.admin_user_id, network_id: grant.network_id });
      },
    }),
  ];
}

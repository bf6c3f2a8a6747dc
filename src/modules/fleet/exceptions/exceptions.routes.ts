import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { fleetServices } from '../fleet.services.js';
import { idThenAction, requestActor, timestamp, uuidParam } from '../common/route-helpers.js';
import { EXCEPTION_STATUSES, exceptionView, type ReviewAction } from './exception.types.js';

const requestBody = z.object({
  rule_id: z.string().min(1).max(256),
  justification: z.string().min(1).max(4096),
  expires_at: timestamp.optional(),
  duration_days: z.number().int().min(1).max(3650).optional(),
});
/** OpenWatch's review body: a comment (approve, reject) or a reason (revoke); either name is taken. */
const reviewBody = z.object({ comment: z.string().max(1024).optional(), reason: z.string().max(1024).optional() }).default({});
const hostQuery = z.object({ history: z.enum(['true', 'false']).optional() });
const listQuery = z.object({
  status: z.enum(EXCEPTION_STATUSES).optional(),
  limit: z.string().regex(/^\d{1,4}$/, 'limit must be a whole number').transform(Number).pipe(z.number().int().min(1).max(500)).optional(),
});
// OpenWatch's UI reads the list as `exceptions`; `items` is the name the rest of the fleet surface uses.
const list = z.object({ items: z.array(exceptionView), exceptions: z.array(exceptionView) });
const listOf = <T>(items: T[]) => ({ items, exceptions: items });

const REVIEW_ROUTES: { action: ReviewAction; permission: string; summary: string }[] = [
  { action: 'approve', permission: 'exception:approve', summary: 'Approve a requested exception (not by its requester; not once it has expired)' },
  { action: 'reject', permission: 'exception:approve', summary: 'Reject a requested exception (not by its requester)' },
  { action: 'revoke', permission: 'exception:revoke', summary: 'Revoke an approved exception before it expires' },
];

/** Compliance exceptions: per host, the fleet queue, and the review actions under both paths OpenWatch has used. */
export function exceptionRoutes(core: Core): RouteDefinition<any>[] {
  const { exceptions } = fleetServices(core);
  const tags = ['exceptions'];
  return [
    defineRoute({
      method: 'POST', path: '/api/v1/hosts/:id/exceptions', surface: 'fleet', permission: 'exception:request', tags, status: 201,
      summary: 'Request an exception (rule waiver) on a host; one open exception per host and rule (409)',
      schema: { params: uuidParam, body: requestBody, response: exceptionView },
      handler: (ctx) => exceptions.request(ctx.params.id, ctx.body, requestActor(ctx)),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/hosts/:id/exceptions', surface: 'fleet', permission: 'exception:read', tags,
      summary: "A host's open exceptions (requested, approved), or all of them with ?history=true, newest first",
      schema: { params: uuidParam, query: hostQuery, response: list },
      handler: async (ctx) => listOf(await exceptions.forHost(ctx.params.id, { history: ctx.query.history === 'true' })),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/compliance/exceptions', surface: 'fleet', permission: 'exception:read', tags,
      summary: 'The fleet exception queue, optionally by status, newest first (limit 1-500, default 200)',
      schema: { query: listQuery, response: list },
      handler: async (ctx) => listOf(await exceptions.list({ status: ctx.query.status, limit: ctx.query.limit ?? 200 })),
    }),
    ...REVIEW_ROUTES.flatMap(({ action, permission, summary }) =>
      ['/api/v1/exceptions', '/api/v1/compliance/exceptions'].map((base) =>
        defineRoute({
          method: 'POST', path: `${base}/${idThenAction('id')}::${action}`, surface: 'fleet', permission, tags, summary,
          schema: { params: uuidParam, body: reviewBody, response: exceptionView },
          handler: (ctx) => exceptions.review(ctx.params.id, action, requestActor(ctx), ctx.body.comment ?? ctx.body.reason),
        }),
      ),
    ),
  ];
}

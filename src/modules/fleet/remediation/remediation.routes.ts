import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { fleetServices } from '../fleet.services.js';
import { idThenAction, keysetLimit, requestActor } from '../common/route-helpers.js';
import { dryRunView, planView, REMEDIATION_STATUSES, remediationView, stepView } from './remediation.types.js';

const ridParam = z.object({ rid: z.string().uuid() });
const createBody = z.object({ host_id: z.string().uuid(), rule_id: z.string().min(1).max(256), comment: z.string().max(1024).optional() });
const reviewBody = z.object({ comment: z.string().max(1024).optional(), reason: z.string().max(1024).optional() }).default({});
const listQuery = z.object({
  host_id: z.string().uuid().optional(),
  status: z.enum(REMEDIATION_STATUSES).optional(),
  cursor: z.string().max(512).optional(),
  limit: keysetLimit(),
});

/** Remediation requests (OpenWatch's remediation/requests): file, review, dry-run, execute, roll back. */
export function remediationRoutes(core: Core): RouteDefinition<any>[] {
  const { remediation } = fleetServices(core);
  const tags = ['remediation'];
  const base = '/api/v1/remediation/requests';
  const action = (name: string) => `${base}/${idThenAction('rid')}::${name}`;
  return [
    defineRoute({
      method: 'GET', path: base, surface: 'fleet', permission: 'remediation:read', tags,
      summary: 'List remediation requests, newest first; filters host_id, status; opaque cursor; limit 1-200 (50)',
      // `requests` repeats `items` under the name OpenWatch's UI reads.
      schema: { query: listQuery, response: z.object({ items: z.array(remediationView), requests: z.array(remediationView), next_cursor: z.string().nullable() }) },
      handler: async (ctx) => {
        const { cursor, limit, ...filter } = ctx.query;
        const page = await remediation.list(filter, { limit, cursor });
        return { ...page, requests: page.items };
      },
    }),
    defineRoute({
      method: 'POST', path: base, surface: 'fleet', permission: 'remediation:request', tags, status: 201,
      summary: 'Request the remediation of one rule on one host (pending_approval); the plan is made now',
      schema: { body: createBody, response: remediationView },
      handler: (ctx) => remediation.request(ctx.body, requestActor(ctx)),
    }),
    defineRoute({
      method: 'GET', path: `${base}/:rid`, surface: 'fleet', permission: 'remediation:read', tags,
      summary: 'One remediation request', schema: { params: ridParam, response: remediationView },
      handler: (ctx) => remediation.get(ctx.params.rid),
    }),
    defineRoute({
      method: 'GET', path: `${base}/:rid/plan`, surface: 'fleet', permission: 'remediation:read', tags,
      summary: 'The steps the request will run', schema: { params: ridParam, response: planView },
      handler: (ctx) => remediation.plan(ctx.params.rid),
    }),
    defineRoute({
      method: 'GET', path: `${base}/:rid/steps`, surface: 'fleet', permission: 'remediation:read', tags,
      summary: 'The step journal: each step applied, failed or rolled back',
      schema: { params: ridParam, response: z.object({ items: z.array(stepView) }) },
      handler: async (ctx) => ({ items: await remediation.steps(ctx.params.rid) }),
    }),
    ...(['approve', 'reject'] as const).map((decision) =>
      defineRoute({
        method: 'POST', path: action(decision), surface: 'fleet', permission: 'remediation:approve', tags,
        summary: `${decision === 'approve' ? 'Approve' : 'Reject'} a pending request (not by its requester: 409)`,
        schema: { params: ridParam, body: reviewBody, response: remediationView },
        handler: (ctx) => remediation.review(ctx.params.rid, decision, requestActor(ctx), ctx.body.comment ?? ctx.body.reason),
      }),
    ),
    defineRoute({
      method: 'POST', path: action('dry-run'), surface: 'fleet', permission: 'remediation:execute', tags,
      summary: 'Show what executing would change (diffs per step) without changing the host or the request',
      schema: { params: ridParam, response: dryRunView },
      handler: (ctx) => remediation.dryRun(ctx.params.rid),
    }),
    defineRoute({
      method: 'POST', path: action('execute'), surface: 'fleet', permission: 'remediation:execute', tags,
      summary: 'Run an approved request over SSH with a step journal: executed, failed or partially_applied',
      schema: { params: ridParam, response: remediationView },
      handler: (ctx) => remediation.execute(ctx.params.rid, requestActor(ctx)),
    }),
    defineRoute({
      method: 'POST', path: action('rollback'), surface: 'fleet', permission: 'remediation:rollback', tags,
      summary: 'Undo the steps an executed (or partially applied) request ran: rolled_back',
      schema: { params: ridParam, response: remediationView },
      handler: (ctx) => remediation.rollback(ctx.params.rid, requestActor(ctx)),
    }),
  ];
}

import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { itemsWithTotal, pageDoc, pageQueryShape } from '../../../http/pagination.js';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import type { NodeRequestService } from '../workflows/node-requests/node-request.service.js';

const tags = ['node-requests'];
/** Path ids stay plain strings: a non-UUID names no request, which is a 404, not a 400. */
const params = z.object({ request_id: z.string() });
const status = z.enum(['pending', 'approved', 'rejected']);

const nodeRequestView = z.object({
  id: z.string(),
  network_id: z.string(),
  network_name: z.string(),
  requested_by_user_id: z.string(),
  requested_by_email: z.string().nullable(),
  hostname: z.string(),
  groups: z.array(z.string()),
  is_lighthouse: z.boolean(),
  is_relay: z.boolean(),
  status,
  created_at: z.string(),
  processed_at: z.string().nullable(),
  processed_by_user_id: z.string().nullable(),
  rejection_reason: z.string().nullable(),
  created_node_id: z.string().nullable(),
});

const createBody = z.object({
  network_id: z.string().min(1),
  hostname: z.string().min(1).max(253),
  groups: z.array(z.string().max(64)).max(32).optional(),
  is_lighthouse: z.boolean().optional(),
  is_relay: z.boolean().optional(),
});

/** /api/node-requests: ask for a node, then approve (creates it) or reject; auto-approved for node managers. */
export function nodeRequestsRoutes(requests: NodeRequestService): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'POST', path: '/api/node-requests', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.node_request.create',
      summary: 'Request a node in a network (any member). Approved at once, with the node created, when the caller has manage_nodes or the network auto-approves',
      schema: { body: createBody, response: nodeRequestView, responses: { 409: { description: 'the hostname is taken by a node or a pending request' } } },
      handler: async (ctx) => {
        const request = await requests.create(principalOf(ctx), ctx.body);
        ctx.auditResource('node_request', request.id, { network_id: request.network_id, hostname: request.hostname, status: request.status, created_node_id: request.created_node_id });
        return request;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/node-requests', surface: 'overlay', permission: 'authenticated', tags,
      summary: `List node requests, newest first: your own, those of networks you own or manage nodes in; system admins see all; ${pageDoc()}`,
      schema: { query: z.object({ network_id: z.string().optional(), status: status.optional(), ...pageQueryShape() }), response: z.array(nodeRequestView) },
      handler: async (ctx) => itemsWithTotal(ctx, await requests.list(principalOf(ctx), ctx.query, ctx.query)),
    }),
    defineRoute({
      method: 'POST', path: '/api/node-requests/:request_id/approve', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.node_request.approve',
      summary: 'Approve a pending request (manage_nodes): creates the node, allocates its IP and issues its certificate. 400 if not pending',
      schema: { params, body: z.looseObject({}).optional(), response: nodeRequestView },
      handler: async (ctx) => {
        ctx.auditResource('node_request', ctx.params.request_id);
        const request = await requests.approve(principalOf(ctx), ctx.params.request_id);
        ctx.auditResource('node_request', request.id, { network_id: request.network_id, hostname: request.hostname, created_node_id: request.created_node_id });
        return request;
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/node-requests/:request_id/reject', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.node_request.reject',
      summary: 'Reject a pending request with a reason (manage_nodes). 400 if not pending',
      schema: { params, body: z.object({ reason: z.string().min(1).max(1000) }), response: nodeRequestView },
      handler: async (ctx) => {
        ctx.auditResource('node_request', ctx.params.request_id);
        const request = await requests.reject(principalOf(ctx), ctx.params.request_id, ctx.body.reason);
        ctx.auditResource('node_request', request.id, { network_id: request.network_id, hostname: request.hostname, reason: ctx.body.reason });
        return request;
      },
    }),
  ];
}

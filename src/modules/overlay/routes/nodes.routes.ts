import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { withEtag } from '../../../http/etag.js';
import { itemsWithTotal, pageDoc, pageQueryShape } from '../../../http/pagination.js';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import type { DeviceService } from '../device/device.service.js';
import type { NodeService } from '../nodes/node.service.js';
import { nodeOptionFields } from '../nodes/node-validation.js';
import { nodeView } from '../nodes/node-view.js';

/** Path ids stay plain strings: a non-UUID names no node, which is a 404, not a 400. */
const params = z.object({ node_id: z.string() });
/** Commander's newest source: step-up for destructive node actions; optional here, as the spec asks for none. */
const stepUpBody = z.object({ reauth_token: z.string().max(4096).nullish(), confirmation: z.string().max(253).nullish() }).default({});
const tags = ['nodes'];
const ok = z.object({ ok: z.literal(true) });

/** Strict: a misspelt field must not look like a successful update. */
const updateBody = z.strictObject(nodeOptionFields);

/** A download name without quotes or path separators. */
const fileName = (hostname: string, ext: string) => `${hostname.replace(/[^A-Za-z0-9._-]/g, '_')}.${ext}`;

/** /api/nodes: node CRUD, config and certificate downloads, revocation, re-enrollment and heartbeats. */
export function nodesRoutes(nodes: NodeService, device: DeviceService): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/nodes', surface: 'overlay', permission: 'authenticated', tags,
      summary: `List nodes of the networks the caller can see (optionally of one network); ${pageDoc()}`,
      schema: { query: z.object({ network_id: z.string().optional(), ...pageQueryShape() }), response: z.array(nodeView) },
      handler: async (ctx) => itemsWithTotal(ctx, await nodes.list(principalOf(ctx), ctx.query.network_id, ctx.query)),
    }),
    defineRoute({
      method: 'GET', path: '/api/nodes/:node_id', surface: 'overlay', permission: 'authenticated', tags,
      summary: 'Get a node', schema: { params, response: nodeView },
      handler: (ctx) => nodes.get(principalOf(ctx), ctx.params.node_id),
    }),
    defineRoute({
      method: 'PATCH', path: '/api/nodes/:node_id', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.node.update',
      summary: 'Update a node: groups (a new certificate when they change), lighthouse/relay roles, endpoint, options, tun device. 409 if it would remove the only lighthouse',
      schema: { params, body: updateBody, response: ok, responses: { 409: { description: 'the node is the only lighthouse' } } },
      handler: async (ctx) => {
        ctx.auditResource('overlay_node', ctx.params.node_id, { fields: Object.keys(ctx.body) });
        const node = await nodes.update(principalOf(ctx), ctx.params.node_id, ctx.body);
        ctx.auditResource('overlay_node', node.id, { network_id: node.network_id, hostname: node.hostname });
        return { ok: true };
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/nodes/:node_id', surface: 'overlay', permission: 'authenticated', tags, status: 204,
      audit: 'overlay.node.delete',
      summary: 'Delete a node: its certificates are revoked (and blocklisted until they expire), its address released. 409 if it is the only lighthouse. An optional reauth_token and the hostname as confirmation (Commander\'s newest UI sends them) are checked when given',
      schema: { params, body: stepUpBody, responses: { 409: { description: 'the node is the only lighthouse of a network with other nodes' } } },
      handler: async (ctx) => {
        ctx.auditResource('overlay_node', ctx.params.node_id);
        const node = await nodes.delete(principalOf(ctx), ctx.params.node_id, ctx.body);
        ctx.auditResource('overlay_node', node.id, { network_id: node.network_id, hostname: node.hostname, ip_address: node.ip_address });
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/nodes/:node_id/config', surface: 'overlay', permission: 'authenticated', tags,
      produces: 'application/yaml',
      summary: "The node's Nebula config.yml with inline PKI (its key when Rampart holds it), as an attachment. Needs access to the network's secrets",
      schema: { params },
      handler: async (ctx) => {
        const { node, config } = await device.nodeConfig(principalOf(ctx), ctx.params.node_id);
        ctx.reply.header('content-disposition', `attachment; filename="${fileName(node.hostname, 'yml')}"`);
        return withEtag(ctx, config.etag, config.yaml);
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/nodes/:node_id/certs', surface: 'overlay', permission: 'authenticated', tags,
      produces: 'application/zip',
      summary: 'ZIP of ca.crt, host.crt, host.key (when Rampart holds it) and README.txt. Needs access to the network\'s secrets',
      schema: { params },
      handler: async (ctx) => {
        const { node, zip } = await device.nodeCerts(principalOf(ctx), ctx.params.node_id);
        ctx.reply.header('content-disposition', `attachment; filename="${fileName(node.hostname, 'zip')}"`);
        return zip;
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/nodes/:node_id/revoke-certificate', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.node.revoke_certificate',
      summary: "Revoke the node's certificate (it enters every config's pki.blocklist), release its address, forget its key; the node is kept. An optional reauth_token and the hostname as confirmation are checked when given",
      schema: { params, body: stepUpBody, response: ok },
      handler: async (ctx) => {
        ctx.auditResource('overlay_node', ctx.params.node_id);
        const node = await nodes.revoke(principalOf(ctx), ctx.params.node_id, ctx.body);
        ctx.auditResource('overlay_node', node.id, { network_id: node.network_id, hostname: node.hostname, ip_address: node.ip_address });
        return { ok: true };
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/nodes/:node_id/re-enroll', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.node.re_enroll',
      summary: 'Revoke the current certificate (if any) and issue a new one with a new server keypair; older device tokens stop working',
      schema: { params, response: z.object({ ok: z.literal(true), node_id: z.string() }) },
      handler: async (ctx) => {
        ctx.auditResource('overlay_node', ctx.params.node_id);
        const node = await nodes.reEnroll(principalOf(ctx), ctx.params.node_id);
        ctx.auditResource('overlay_node', node.id, { network_id: node.network_id, hostname: node.hostname });
        return { ok: true, node_id: node.id };
      },
    }),
    defineRoute({
      // Public for the route kit: the core authenticator does not know device tokens, so the handler checks them
      // (or, for a signed-in user, can_manage_nodes). Not audited: devices post one every interval.
      method: 'POST', path: '/api/nodes/:node_id/heartbeat', surface: 'overlay', permission: 'public', tags,
      summary: "Report a node alive (its device token, or a user with can_manage_nodes): last_seen, status active",
      schema: { params, response: z.object({ ok: z.literal(true), last_seen: z.string() }), responses: { 401: { description: 'no valid device or user token' } } },
      handler: (ctx) => device.heartbeat(ctx.principal, ctx.headers.authorization, ctx.params.node_id),
    }),
  ];
}

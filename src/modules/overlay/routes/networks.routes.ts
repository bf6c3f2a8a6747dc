import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { pageOf } from '../../../core/db/paginate.js';
import { itemsWithTotal, pageDoc, pageQuery } from '../../../http/pagination.js';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import { MAX_NETWORK_NAME } from '../networks/network-name.js';
import type { NetworkService } from '../networks/network-service.js';
import { networkView } from '../networks/network-view.js';

/** Path ids stay plain strings: a non-UUID names no network, which is a 404, not a 400. */
const params = z.object({ network_id: z.string() });
const tags = ['networks'];

const createBody = z.object({
  name: z.string().min(1).max(MAX_NETWORK_NAME),
  subnet_cidr: z.string().min(1).max(64),
  cert_version: z.union([z.literal(1), z.literal(2)]).optional(),
  auto_approve_nodes: z.boolean().optional(),
});
/** Strict: a misspelt field must not look like a successful update. */
const updateBody = z.strictObject({
  name: z.string().min(1).max(MAX_NETWORK_NAME).optional(),
  auto_approve_nodes: z.boolean().optional(),
  default_cert_days: z.number().int().min(1).max(36_500).optional(),
});
const deleteBody = z.object({ reauth_token: z.string().nullish(), confirmation: z.string().nullish() }).default({});

/** /api/networks: network CRUD, check-ip, and the CA rotation Rampart adds. */
export function networksRoutes(networks: NetworkService): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/networks', surface: 'overlay', permission: 'authenticated', tags,
      summary: 'List the networks the caller can access, with role and can_* flags (system admins: all, CA data only under an access grant)',
      description: `${pageDoc()}. Which networks a caller sees, and how, is decided network by network, so this list is paged after that.`,
      schema: { query: pageQuery(), response: z.array(networkView) },
      handler: async (ctx) => itemsWithTotal(ctx, pageOf(await networks.list(principalOf(ctx)), ctx.query)),
    }),
    defineRoute({
      method: 'POST', path: '/api/networks', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.network.create',
      summary: 'Create a network with its CA; the creator becomes its owner. 409 if the name exists',
      schema: { body: createBody, response: networkView, responses: { 409: { description: 'a network with this name exists' } } },
      handler: async (ctx) => {
        const network = await networks.create(principalOf(ctx), ctx.body);
        ctx.auditResource('network', network.id, { name: network.name, subnet_cidr: network.subnet_cidr, cert_version: network.cert_version, ca_fingerprint: network.ca_fingerprint });
        return network;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/networks/:network_id', surface: 'overlay', permission: 'authenticated', tags,
      summary: 'Get a network (system admins need an access grant to see its CA)',
      schema: { params, response: networkView },
      handler: (ctx) => networks.get(principalOf(ctx), ctx.params.network_id),
    }),
    defineRoute({
      method: 'PATCH', path: '/api/networks/:network_id', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.network.update',
      summary: 'Update a network (owner only): name, auto_approve_nodes, default_cert_days',
      schema: { params, body: updateBody, response: networkView },
      handler: async (ctx) => {
        ctx.auditResource('network', ctx.params.network_id, { ...ctx.body });
        return networks.update(principalOf(ctx), ctx.params.network_id, ctx.body);
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/networks/:network_id', surface: 'overlay', permission: 'authenticated', tags, status: 204,
      audit: 'overlay.network.delete',
      summary: 'Delete a network (owner; system admins any) with a reauth_token and its name as confirmation',
      schema: { params, body: deleteBody },
      handler: async (ctx) => {
        ctx.auditResource('network', ctx.params.network_id);
        const { name } = await networks.delete(principalOf(ctx), ctx.params.network_id, ctx.body);
        ctx.auditResource('network', ctx.params.network_id, { name });
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/networks/:network_id/ca/rotate', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.network.ca_rotate',
      summary: 'Rampart extension: issue a new active CA (the old one stays trusted until it expires) and reissue every node certificate',
      schema: { params, response: networkView },
      handler: async (ctx) => {
        const { view, previousFingerprint, fingerprint, reissued } = await networks.rotateCa(principalOf(ctx), ctx.params.network_id);
        ctx.auditResource('network', ctx.params.network_id, { previous_ca_fingerprint: previousFingerprint, ca_fingerprint: fingerprint, reissued_certificates: reissued });
        return view;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/networks/:network_id/check-ip', surface: 'overlay', permission: 'authenticated', tags,
      summary: 'Whether an IP is free in the network: {"available": bool}; 400 if it is no host address of the subnet',
      schema: { params, query: z.object({ ip: z.string().min(1) }), response: z.object({ available: z.boolean() }) },
      handler: (ctx) => networks.checkIp(principalOf(ctx), ctx.params.network_id, ctx.query.ip),
    }),
  ];
}

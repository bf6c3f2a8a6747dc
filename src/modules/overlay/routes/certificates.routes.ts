import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { itemsWithTotal, pageDoc, pageQueryShape } from '../../../http/pagination.js';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import type { NodeService } from '../nodes/node.service.js';
import { durationDaysSchema, nodeOptionFields } from '../nodes/node-validation.js';

const tags = ['certificates'];

const common = {
  network_id: z.string(),
  name: z.string().max(300),
  suggested_ip: z.string().max(64).nullish(),
  duration_days: durationDaysSchema.nullish(),
  ...nodeOptionFields,
};
const createBody = z.object(common);
const signBody = z.object({ ...common, public_key: z.string().max(2_000) });

const certificateView = z.object({
  id: z.string(),
  node_id: z.string().nullable(),
  node_name: z.string(),
  network_id: z.string(),
  network_name: z.string(),
  ip_address: z.string(),
  issued_at: z.string(),
  expires_at: z.string(),
  revoked_at: z.string().nullable(),
  fingerprint: z.string(),
});

const input = <T extends { network_id: string; name: string }>(body: T) => ({ ...body, networkId: body.network_id, hostname: body.name });

/** /api/certificates: host certificates for a server-made keypair or a client's public key, and the issued list. */
export function certificatesRoutes(nodes: NodeService): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'POST', path: '/api/certificates/sign', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.certificate.sign',
      summary: "Sign the client's X25519 public key (PEM, as nebula-cert keygen writes it); creates the node, or re-keys the node of that name",
      schema: {
        body: signBody,
        response: z.object({ node_id: z.string(), ip_address: z.string(), certificate: z.string(), ca_certificate: z.string() }),
        responses: { 409: { description: 'suggested IP taken' } },
      },
      handler: async (ctx) => {
        ctx.auditResource('overlay_network', ctx.body.network_id, { name: ctx.body.name });
        const signed = await nodes.sign(principalOf(ctx), { ...input(ctx.body), public_key: ctx.body.public_key });
        ctx.auditResource('overlay_node', signed.node_id, { network_id: ctx.body.network_id, hostname: ctx.body.name, ip_address: signed.ip_address });
        return signed;
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/certificates/create', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.certificate.create',
      summary: 'Create a node with a server-generated keypair and its certificate; the private key is returned once (and kept sealed for configs). The first node of a network must be a lighthouse',
      schema: {
        body: createBody,
        response: z.object({ node_id: z.string(), hostname: z.string(), ip_address: z.string(), certificate: z.string(), private_key: z.string(), ca_certificate: z.string() }),
        responses: { 400: { description: 'invalid input, or the first node is not a lighthouse' }, 409: { description: 'node name exists or suggested IP taken' } },
      },
      handler: async (ctx) => {
        ctx.auditResource('overlay_network', ctx.body.network_id, { name: ctx.body.name });
        const { fingerprint, ...created } = await nodes.createWithCertificate(principalOf(ctx), input(ctx.body));
        ctx.auditResource('overlay_node', created.node_id, { network_id: ctx.body.network_id, hostname: created.hostname, ip_address: created.ip_address, fingerprint });
        return created;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/certificates', surface: 'overlay', permission: 'authenticated', tags,
      summary: `List issued certificates (revoked ones included) of the networks the caller can see, newest first; ${pageDoc()}`,
      schema: { query: z.object({ network_id: z.string().optional(), ...pageQueryShape() }), response: z.array(certificateView) },
      handler: async (ctx) => itemsWithTotal(ctx, await nodes.listCertificates(principalOf(ctx), ctx.query.network_id, ctx.query)),
    }),
  ];
}

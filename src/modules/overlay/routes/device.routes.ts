import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { ifNoneMatchHits, withEtag } from '../../../http/etag.js';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import type { DeviceService } from '../device/device.service.js';

const tags = ['device'];
const ENROLL_LIMIT = { max: 5, windowMs: 15 * 60_000 };

/**
 * /api/device: enrollment codes (admins), their redemption (public, rate limited) and what a device fetches
 * with its token. The device routes are public for the route kit, which does not know device tokens: the
 * device service checks the Bearer token itself and answers 401.
 */
export function deviceRoutes(device: DeviceService): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'POST', path: '/api/device/enrollment-codes', surface: 'overlay', permission: 'authenticated', tags,
      audit: 'overlay.enrollment_code.create',
      summary: 'Create a one-time enrollment code for a node that has a certificate (shown once, stored hashed)',
      schema: {
        body: z.object({ node_id: z.string(), expires_in_hours: z.number().positive().max(720).optional() }),
        response: z.object({ code: z.string(), expires_at: z.string(), node_id: z.string(), hostname: z.string() }),
      },
      handler: async (ctx) => {
        ctx.auditResource('overlay_node', ctx.body.node_id);
        const { node, response } = await device.createEnrollmentCode(principalOf(ctx), ctx.body.node_id, ctx.body.expires_in_hours);
        ctx.auditResource('overlay_node', node.id, { network_id: node.network_id, hostname: node.hostname, expires_at: response.expires_at });
        return response;
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/device/enroll', surface: 'overlay', permission: 'public', tags, rateLimit: ENROLL_LIMIT,
      audit: 'overlay.device.enroll',
      summary: 'Redeem a one-time enrollment code for a device token (5 attempts per 15 minutes per address). 404 unknown code, 400 used or expired',
      schema: {
        body: z.object({ code: z.string().max(100) }),
        response: z.object({ device_token: z.string(), node_id: z.string(), hostname: z.string() }),
      },
      handler: async (ctx) => {
        const enrolled = await device.enroll(ctx.body.code);
        ctx.auditResource('overlay_node', enrolled.node_id, { hostname: enrolled.hostname });
        return enrolled;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/device/config', surface: 'overlay', permission: 'public', credentials: 'own', tags, produces: 'application/yaml',
      summary: "The device's Nebula config.yml (inline PKI). ETag is the YAML's sha256; If-None-Match (quoted or bare, weak, a list, or *) gives 304. 409 when the node's certificate is revoked",
      schema: { responses: { 304: { description: 'unchanged' }, 401: { description: 'no valid device token' }, 409: { description: 'the node has no valid certificate' } } },
      accessLog: 'debug',
      handler: async (ctx) => {
        const state = await device.poll(ctx.headers.authorization, true);
        // A device whose config is unchanged gets its 304 from the remembered ETag, without the YAML.
        const etag = await device.configs.etag(state);
        if (ifNoneMatchHits(ctx.headers['if-none-match'], etag)) return withEtag(ctx, etag, undefined);
        const config = await device.configs.get(state);
        return withEtag(ctx, config.etag, config.yaml);
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/device/certs', surface: 'overlay', permission: 'public', credentials: 'own', tags, produces: 'application/zip',
      summary: "ZIP of the device's ca.crt, host.crt, host.key (when Rampart holds it) and README.txt",
      schema: { responses: { 401: { description: 'no valid device token' } } },
      handler: (ctx) => device.deviceCerts(ctx.headers.authorization),
    }),
  ];
}

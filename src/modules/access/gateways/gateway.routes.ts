import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { withEtag } from '../../../http/etag.js';
import { defineRoute, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import type { GatewayCaller } from '../access.types.js';
import { accessServices } from '../access.services.js';
import { deviceBundle, spcBundle, trustAnchors } from '../policy/policy.responses.js';
import { admissionGrant, authMaterialManifest, deploymentConfig, gatewayEnrolled, gatewayView, watchAnswer } from './gateway.responses.js';
import { gatewayEnrollBody, grantQuery, heartbeatBody, meteringBody, watchQuery } from './gateway.schemas.js';
import { WATCH_TIMEOUT_S, type RuntimeArtifactName } from './runtime.service.js';

const tags = ['access gateways'];
const RUNTIME: { name: RuntimeArtifactName; summary: string; response: z.ZodType }[] = [
  { name: 'trust-anchors', summary: 'The trust anchors SPCs are verified against (GET /v1/trust/anchors), ETag/304', response: trustAnchors },
  { name: 'policy-bundle', summary: "The signed policy bundle of the gateway's pool channel, ETag/304; 404 until one is published", response: deviceBundle },
  { name: 'deployment-config', summary: "The gateway's deployment config (listen port, overlay CIDR, DNS, MTU, intervals, config_serial), ETag/304", response: deploymentConfig },
  { name: 'spc-bundle', summary: 'The SPC revocation set (GET /v1/spc/bundle), ETag/304', response: spcBundle },
];

/** The routes a gateway calls with its own bearer credential (from POST /v1/gateway/enroll). */
export function gatewayRoutes(core: Core): RouteDefinition<any>[] {
  const { callers, gateways: part } = accessServices(core);
  const { gateways, runtime, admission, sessions, feed } = part;
  const caller = (ctx: RouteContext<any>): Promise<GatewayCaller> => callers.gateway(ctx);
  const gatewayRoute = { surface: 'access' as const, permission: 'public', credentials: 'own' as const, tags };
  return [
    defineRoute({
      method: 'POST', path: '/v1/gateway/enroll', surface: 'access', permission: 'public', credentials: 'own', tags, status: 201,
      summary: 'Enroll a gateway with a kind=gateway enrollment token (single use): answers its bearer credential, shown once',
      rateLimit: { max: 30, windowMs: 60_000 }, audit: 'access.gateway.enroll',
      schema: { body: gatewayEnrollBody, response: gatewayEnrolled },
      handler: async (ctx) => {
        const enrolled = await gateways.enroll(ctx.body);
        ctx.auditResource('access_gateway', enrolled.gateway_id, { pool_id: enrolled.pool_id, name: enrolled.name });
        return enrolled;
      },
    }),
    defineRoute({
      ...gatewayRoute, method: 'POST', path: '/v1/gateway/heartbeat',
      summary: 'A gateway says it is alive (every heartbeat_interval_s), optionally degraded, with its version and session count',
      schema: { body: heartbeatBody, response: gatewayView },
      handler: async (ctx) => gateways.heartbeat(await caller(ctx), ctx.body),
    }),
    ...RUNTIME.map(({ name, summary, response }) =>
      defineRoute({
        ...gatewayRoute, method: 'GET', path: `/v1/gateway/runtime/${name}`, summary,
        schema: { response },
        handler: async (ctx) => {
          const art = await runtime.get(name, await caller(ctx));
          return withEtag(ctx, art.etag, art.body);
        },
      }),
    ),
    defineRoute({
      ...gatewayRoute, method: 'GET', path: '/v1/gateway/runtime/auth-material-manifest',
      summary: 'Every runtime artifact with its sha256 and URL, and the change serial, ETag/304',
      schema: { response: authMaterialManifest },
      handler: async (ctx) => {
        const art = await runtime.manifest(await caller(ctx));
        return withEtag(ctx, art.etag, art.body);
      },
    }),
    defineRoute({
      ...gatewayRoute, method: 'GET', path: '/v1/gateway/runtime/client-admission-grant',
      summary: 'Whether a device presenting this WireGuard key may connect now, and to what (a grant ending at min(SPC expiry, 15 min)), ETag/304',
      schema: { query: grantQuery, response: admissionGrant },
      handler: async (ctx) => {
        const grant = await admission.grant(await caller(ctx), ctx.query.device_id, ctx.query.public_key);
        return withEtag(ctx, grant.etag, grant.body);
      },
    }),
    defineRoute({
      ...gatewayRoute, method: 'GET', path: '/v1/gateway/runtime/watch',
      summary: 'Long poll: answers {serial} at once when the change serial is past ?since, else when a change comes, else 304 after ~25 s',
      schema: { query: watchQuery, response: watchAnswer },
      // Waits outside the request's unit of work: a watching gateway holds no database connection.
      handler: (ctx) =>
        feed.detached(async () => {
          const gw = await caller(ctx);
          const serial = await feed.waitPast(gw.tenant_id, ctx.query.since ?? 0, (ctx.query.timeout_s ?? WATCH_TIMEOUT_S) * 1000);
          if (serial === null) {
            ctx.reply.header('etag', `"serial-${ctx.query.since ?? 0}"`);
            ctx.reply.status(304);
            return undefined;
          }
          ctx.reply.header('etag', `"serial-${serial}"`);
          return { serial, changed: true };
        }),
    }),
    defineRoute({
      ...gatewayRoute, method: 'POST', path: '/v1/gateway/metering',
      summary: 'A metering window (bytes per session in the window, active sessions); recorded once per gateway and window_start',
      schema: { body: meteringBody, response: z.object({ recorded: z.boolean(), window_start: z.string(), sessions: z.number() }) },
      handler: async (ctx) => sessions.meter(await caller(ctx), ctx.body),
    }),
  ];
}

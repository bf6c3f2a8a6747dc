import type { Core } from '../../../core/index.js';
import { withEtag } from '../../../http/etag.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { accessServices } from '../access.services.js';
import { poolDirectory, sessionView } from './gateway.responses.js';
import { telemetryBody } from './gateway.schemas.js';
import { artifact } from './runtime.service.js';

const tags = ['access gateways'];

/** The routes devices call with their own bearer credential (from POST /v1/enroll). */
export function gatewayClientRoutes(core: Core): RouteDefinition<any>[] {
  const { callers, gateways } = accessServices(core);
  const { runtime, sessions } = gateways;
  return [
    defineRoute({
      method: 'GET', path: '/v1/gateway/pools', surface: 'access', permission: 'public', credentials: 'own', tags,
      summary: 'The pool directory devices pick a gateway from: pools with their in-service gateways (host, WireGuard port, key, admission URL), ETag/304',
      schema: { response: poolDirectory },
      handler: async (ctx) => {
        const { device } = await callers.device(ctx);
        const pools = artifact(await runtime.directory(device.tenant_id));
        return withEtag(ctx, pools.etag, pools.body);
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/telemetry/session', surface: 'access', permission: 'public', credentials: 'own', tags,
      summary: "A device's view of its session (rtt, loss); the session must be its own",
      schema: { body: telemetryBody, response: sessionView },
      handler: async (ctx) => sessions.telemetry((await callers.device(ctx)).device, ctx.body),
    }),
  ];
}

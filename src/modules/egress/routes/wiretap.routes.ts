import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { openSseStream } from '../../../http/sse.js';
import type { EventBus } from '../../../core/events/event-bus.js';
import { PERFORMANCE_MODE_TOPIC, type PerformanceMode } from '../settings/performance-mode.js';
import { compileFlowFilter } from '../wiretap/flow-filter.js';
import type { Wiretap } from '../wiretap/wiretap.js';

const repeatable = z.union([z.string().max(256), z.array(z.string().max(256)).max(64)]).optional();
const query = z.object({
  src_cidr: repeatable,
  dst_cidr: repeatable,
  hostname: repeatable,
  proto: repeatable,
  src_port: repeatable,
  dst_port: repeatable,
  // Spent by the route kit (tickets: true); declared so the query schema accepts it.
  ticket: z.string().optional(),
});

/** GET /api/v1/wiretap/stream: live flow and flow_end events from conntrack, filtered per stream. */
export function wiretapRoutes(deps: { core: { events: EventBus }; performanceMode: PerformanceMode; wiretap: Wiretap }): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/wiretap/stream', surface: 'egress', permission: 'egress_wiretap:read', tickets: true,
      tags: ['egress wiretap'],
      summary: 'Server-sent flow events (at most one per flow per poll interval) and flow_end events, from the conntrack table while the data plane runs. Filters src_cidr, dst_cidr, hostname, proto, src_port, dst_port are repeatable; ports take ranges like 1000-2000',
      description: 'Answers 503 while performance mode is disabled, and ends open streams when it is switched off. Without the data plane on this host the stream carries heartbeats only. Browsers pass ?ticket= from POST /api/v1/auth/ws-ticket.',
      produces: 'text/event-stream',
      schema: { query, responses: { 400: { description: 'a malformed filter value' }, 503: { description: 'performance mode is disabled' } } },
      handler: async (ctx) => {
        await deps.performanceMode.assertEnabled();
        const matches = compileFlowFilter(ctx.query);
        const stream = openSseStream(ctx.raw, { heartbeatMs: 15_000 });
        // Switching performance mode off ends open streams too, not only new requests.
        const stopWatching = deps.core.events.subscribe(PERFORMANCE_MODE_TOPIC, async () => {
          if (!(await deps.performanceMode.get()).enabled) stream.close();
        });
        void stream.closed.then(stopWatching);
        if (!deps.wiretap.enabled()) return;
        const unsubscribe = deps.wiretap.flows.subscribe(({ type, flow }) => {
          if (matches(flow)) stream.send({ event: type, data: flow });
        });
        void stream.closed.then(unsubscribe);
      },
    }),
  ];
}

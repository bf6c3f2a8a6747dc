import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { collectStats, type StatsSources } from '../support/stats.js';

/** GET /api/v1/stats: Neuwerk's runtime snapshot (dataplane, dns, tls, dhcp, cluster). */
export function statsRoutes(sources: StatsSources): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/stats', surface: 'egress', permission: 'egress_dataplane:read', tags: ['egress runtime'],
      summary: 'Runtime stats: data plane (enabled, node, applied generation, last error), DNS proxy counters and cache size, TLS-intercept CA, DHCP (none) and cluster (not enabled)',
      schema: {},
      handler: () => collectStats(sources),
    }),
  ];
}

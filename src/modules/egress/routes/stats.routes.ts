import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { collectStats, type StatsSources } from '../support/stats.js';

/** GET /api/v1/stats: Neuwerk's runtime snapshot (dataplane, dns, tls, dhcp, cluster). */
export function statsRoutes(sources: StatsSources): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/stats', surface: 'egress', permission: 'egress_dataplane:read', tags: ['egress runtime'],
      summary: "Neuwerk's StatsSnapshot: dataplane (packets and bytes allowed/denied, active, opened and closed flows, NAT entries, IPv4 fragment and TTL drops, measured by nft counters, conntrack and the kernel while the data plane runs; plus the applied generation), dns (queries allowed/denied, NXDOMAIN by policy and from upstream, counted by the proxy), tls (no TLS decisions yet), dhcp (no lease) and cluster (this node, its own leader)",
      schema: {},
      handler: () => collectStats(sources),
    }),
  ];
}

import { z } from 'zod';
import { pageOf } from '../../../core/db/paginate.js';
import { itemsWithTotal, pageDoc, pageQuery } from '../../../http/pagination.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { DnsCache } from '../dns/dns-cache.js';

const dnsCacheResponse = z.object({
  entries: z.array(z.object({ hostname: z.string(), ips: z.array(z.string()), last_seen: z.number().int() })),
});

/** Neuwerk's GET /api/v1/dns-cache: the names the DNS proxy answered on this node and their addresses. */
export function dnsCacheRoutes(services: { dnsCache: DnsCache }): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/dns-cache', surface: 'egress', permission: 'egress_dataplane:read', tags: ['egress'],
      summary: `DNS cache: every name the DNS proxy answered with the IPv4 addresses it handed out and when (unix seconds), sorted by hostname; ${pageDoc()}`,
      schema: { query: pageQuery(), response: dnsCacheResponse },
      handler: (ctx) => ({ entries: itemsWithTotal(ctx, pageOf(services.dnsCache.entries(), ctx.query)) }),
    }),
  ];
}

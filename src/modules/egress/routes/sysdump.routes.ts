import { errors } from '../../../core/errors.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { buildSysdump, type SysdumpSources } from '../support/sysdump.js';

const tags = ['egress support'];

/**
 * Support archives. Neuwerk's node endpoint is an internal fan-out target that demands a special header from the
 * leader; Rampart has no cluster fan-out yet, so it is an ordinary admin endpoint (egress_support:write) and
 * needs no extra header (one sent is ignored).
 */
export function sysdumpRoutes(sources: SysdumpSources): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'POST', path: '/api/v1/support/sysdump/node', surface: 'egress', permission: 'egress_support:write', tags,
      produces: 'application/gzip',
      summary: "This node's support archive (tar.gz): redacted configuration, stats, the live nft ruleset, policies, sanitized integrations and recent audit events",
      description: 'Neuwerk requires an internal header on this endpoint; Rampart accepts the request without it.',
      schema: {},
      handler: async (ctx) => {
        const dump = await buildSysdump(sources);
        // Recorded outside a transaction: building the archive waits on nft and must not hold one open.
        await ctx.recordAudit({ action: 'egress.support.sysdump', resource: { type: 'egress_sysdump', id: dump.fileName }, result: 'success', details: { bytes: dump.archive.length } });
        ctx.reply.header('content-disposition', `attachment; filename="${dump.fileName}"`);
        return dump.archive;
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/support/sysdump/cluster', surface: 'egress', permission: 'egress_support:write', tags,
      produces: 'application/gzip',
      summary: 'Cluster-wide support archive: needs cluster mode, which this Rampart does not run (503)',
      schema: { responses: { 503: { description: 'cluster mode is not enabled' } } },
      handler: () => {
        throw errors.unavailable('cluster mode is not enabled');
      },
    }),
  ];
}

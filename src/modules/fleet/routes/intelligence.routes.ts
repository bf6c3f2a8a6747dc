import { z } from 'zod';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import type { FleetServices } from '../fleet.services.js';
import { notFound } from './fleet.schemas.js';

const tags = ['fleet intelligence'];
const surface = 'fleet' as const;
/** Discovery runs inline: its nine commands share one connection and finish in seconds; a stuck host is cut here. */
export const DISCOVERY_TIMEOUT_MS = 120_000;

const ts = z.string().describe('RFC 3339 timestamp');
const severity = z.enum(['info', 'low', 'medium', 'high', 'critical']);
const hostUnreachable = { 502: { description: 'the host could not be reached over SSH (host.unreachable, host.ssh_host_key_mismatch)' } };
const noCredential = { 409: { description: 'no credential resolves for the host (credentials.not_resolved)' } };

const facts = z.record(z.string(), z.unknown()).describe('discovery facts: os, kernel, architecture, memory, root filesystem, SELinux, AppArmor, firewall');
const systemInfo = z.object({ host_id: z.string(), collected_at: ts.nullable(), facts: facts.nullable() });
const discoveryResult = z.object({ host_id: z.string(), status: z.literal('completed'), discovered_at: ts, facts });
const event = z.object({
  id: z.string(),
  host_id: z.string(),
  event_code: z.string(),
  severity,
  detail: z.record(z.string(), z.unknown()),
  occurred_at: ts,
  detected_at: ts,
  correlation_id: z.string().nullable(),
});
const freshness = z.object({
  status: z.enum(['ok', 'stale']),
  observed_at: ts.nullable(),
  attempt_at: ts,
  reason: z.enum(['denied', 'failed', 'timeout']).optional(),
});
const state = z.object({
  host_id: z.string(),
  snapshot: z.record(z.string(), z.unknown()),
  collected_at: ts.nullable(),
  category_freshness: z.record(z.string(), freshness),
});
const isoTime = z
  .string()
  .datetime({ offset: true })
  .transform((v) => new Date(v).toISOString());

export function intelligenceRoutes(fleet: FleetServices): RouteDefinition<any>[] {
  const { discovery, intelligence } = fleet;
  return [
    defineRoute({
      method: 'POST', path: '/api/v1/hosts/:id/discovery::run', surface, permission: 'host:write', tags,
      idempotency: 'optional',
      summary: 'Discover a host now over SSH (OS, kernel, memory, disk, SELinux/AppArmor, firewall); runs inline, bounded to 120 s',
      description: 'Updates the host\'s os_family, os_version, architecture, platform_identifier and os_discovered_at, and its system info.',
      schema: { params: z.object({ id: z.string() }), response: discoveryResult, responses: { ...notFound('host'), ...noCredential, ...hostUnreachable } },
      // Not an audited route: the SSH work must not hold a transaction open; the service records host.discovery.completed.
      handler: async (ctx) => {
        const p = principalOf(ctx);
        return discovery.run(ctx.params.id, {
          actor: { type: p.type === 'anonymous' || p.type === 'device' || p.type === 'gateway' ? 'system' : p.type, id: p.id, name: p.name },
          correlationId: ctx.correlationId,
          signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
        });
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/hosts/:id/system-info', surface, permission: 'host:read', tags,
      summary: 'The facts the latest discovery found (collected_at and facts null before the first run)',
      schema: { params: z.object({ id: z.string() }), response: systemInfo, responses: notFound('host') },
      handler: (ctx) => discovery.systemInfo(ctx.params.id),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/intelligence/events', surface, permission: 'host:read', tags,
      summary: 'Intelligence events, newest first (filters host_id, event_code, severity, since, until; cursor; limit 1-200, default 50)',
      schema: {
        query: z.object({
          host_id: z.string().max(64).optional(),
          event_code: z.string().max(128).optional(),
          severity: severity.optional(),
          since: isoTime.optional(),
          until: isoTime.optional(),
          cursor: z.string().max(512).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: z.object({ items: z.array(event), next_cursor: z.string().nullable() }),
      },
      handler: (ctx) => intelligence.events(ctx.query),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/intelligence/state/:host_id', surface, permission: 'host:read', tags,
      summary: 'The latest intelligence snapshot of a host, with each category\'s freshness (stale categories keep their last data)',
      schema: { params: z.object({ host_id: z.string() }), response: state, responses: notFound('host') },
      handler: (ctx) => intelligence.state(ctx.params.host_id),
    }),
  ];
}

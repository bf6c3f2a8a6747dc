import { z } from 'zod';
import type { AuditEvent } from '../../../core/audit/audit.types.js';
import type { Core } from '../../../core/index.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { auditEventView } from './user-schemas.js';

/** RFC 3339 with a zone, normalized to the ISO form stored, so comparisons hold on both databases. */
const instant = z.iso
  .datetime({ offset: true, message: 'must be an RFC 3339 timestamp' })
  .transform((value) => new Date(value).toISOString());
const actorType = z.enum(['user', 'api_key', 'service_account', 'device', 'system', 'anonymous']);
const fleetQuery = z.object({
  action: z.string().max(200).optional(),
  correlation_id: z.string().max(128).optional(),
  actor_type: actorType.optional(),
  since: instant.optional(),
  until: instant.optional(),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const EDGE_MAX = 1000;
/** The audit service pages at most this many rows a call. */
const CHUNK = 200;

/** The one audit trail, queried in the fleet's cursor pages and the edge's offset pages. */
export function auditRoutes(core: Core): RouteDefinition<any>[] {
  const tags = ['audit'];

  /** Offset pages larger than one service page, fetched in service-sized chunks. */
  async function offsetPage(limit: number, offset: number): Promise<{ items: AuditEvent[]; total: number }> {
    const items: AuditEvent[] = [];
    let total = 0;
    while (items.length < limit) {
      const page = await core.audit.list({}, { limit: Math.min(CHUNK, limit - items.length), offset: offset + items.length });
      total = page.total ?? 0;
      items.push(...page.items);
      if (page.next_cursor === null) break;
    }
    return { items, total };
  }

  return [
    defineRoute({
      method: 'GET', path: '/api/v1/audit/events', surface: 'fleet', permission: 'audit:read', tags,
      summary: 'List audit events, newest first; follow next_cursor for older pages',
      schema: { query: fleetQuery, response: z.object({ items: z.array(auditEventView), next_cursor: z.string().nullable() }) },
      handler: async ({ query }) => {
        const page = await core.audit.list(
          { action: query.action, correlationId: query.correlation_id, actorType: query.actor_type, since: query.since, until: query.until },
          { limit: query.limit, cursor: query.cursor },
        );
        return { items: page.items, next_cursor: page.next_cursor };
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/auth/audit', surface: 'edge', permission: 'users:read', tags,
      summary: `Audit log, newest first (?limit default 100, at most ${EDGE_MAX}; &offset)`,
      schema: {
        query: z.object({
          limit: z.coerce.number().int().min(1).max(EDGE_MAX).default(100),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: z.object({ items: z.array(auditEventView), total: z.number().int(), limit: z.number().int(), offset: z.number().int() }),
      },
      handler: async ({ query }) => ({ ...(await offsetPage(query.limit, query.offset)), limit: query.limit, offset: query.offset }),
    }),
  ];
}

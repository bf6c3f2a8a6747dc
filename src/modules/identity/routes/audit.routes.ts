import { z } from 'zod';
import type { AuditEvent } from '../../../core/audit/audit.types.js';
import type { Core } from '../../../core/index.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { auditEventView } from './user-schemas.js';
import { CSV_COLUMNS, csvRow, fleetAuditEvent, fleetAuditEventView } from './fleet-audit-view.js';

/** RFC 3339 with a zone, normalized to the ISO form stored, so comparisons hold on both databases. */
const instant = z.iso
  .datetime({ offset: true, message: 'must be an RFC 3339 timestamp' })
  .transform((value) => new Date(value).toISOString());
const actorType = z.enum(['user', 'api_key', 'service_account', 'device', 'system', 'anonymous']);
const fleetQuery = z.object({
  action: z.string().max(200).optional(),
  correlation_id: z.string().max(128).optional(),
  actor_type: actorType.optional(),
  resource_type: z.string().max(100).optional(),
  resource_id: z.string().max(200).optional(),
  since: instant.optional(),
  until: instant.optional(),
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const { cursor: _cursor, limit: _limit, ...filterShape } = fleetQuery.shape;
const exportQuery = z.object({ ...filterShape, format: z.enum(['csv', 'json']).default('csv') });
/** An export stops here; narrow the filters (since/until) for more. */
const EXPORT_MAX = 100_000;
const EDGE_MAX = 1000;
/** The audit service pages at most this many rows a call. */
const CHUNK = 200;

/** AiFw's audit row (its users page reads data[]): who did what, the details as one string. */
const aifwAuditEntry = z.object({
  id: z.string(), user_id: z.string().nullable(), actor_id: z.string().nullable(), action: z.string(),
  details: z.string().nullable(), ip_addr: z.string().nullable(), created_at: z.string(),
});
function aifwEntry(event: AuditEvent): z.infer<typeof aifwAuditEntry> {
  const subject = event.resource_type === 'user' ? event.resource_id : event.actor_type === 'user' ? event.actor_id : null;
  const details = [event.result !== 'success' ? event.result : null, event.actor_name, Object.keys(event.details ?? {}).length ? JSON.stringify(event.details) : null];
  return {
    id: event.id, user_id: subject, actor_id: event.actor_id, action: event.action,
    details: details.filter(Boolean).join(' ') || null, ip_addr: event.client_ip, created_at: event.occurred_at,
  };
}

type FleetFilters = Omit<z.output<typeof fleetQuery>, 'cursor' | 'limit'>;

function filterOf(query: FleetFilters) {
  return {
    action: query.action, correlationId: query.correlation_id, actorType: query.actor_type, since: query.since, until: query.until,
    resourceType: query.resource_type, resourceId: query.resource_id,
  };
}

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
      summary: 'List audit events, newest first; follow next_cursor (opaque, keyset on time and id) for older pages',
      schema: { query: fleetQuery, response: z.object({ items: z.array(fleetAuditEventView), next_cursor: z.string().nullable() }) },
      handler: async ({ query }) => {
        const page = await core.audit.list(filterOf(query), { limit: query.limit, cursor: query.cursor });
        return { items: page.items.map(fleetAuditEvent), next_cursor: page.next_cursor };
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/audit/events/export', surface: 'fleet', permission: 'audit:read', tags, produces: 'text/csv',
      summary: `Every audit event matching the filters as CSV (formula-safe) or a JSON array, newest first, at most ${EXPORT_MAX}`,
      description: 'A CSV cell starting with = + - @ tab or CR is prefixed with an apostrophe, so a spreadsheet shows it as text.',
      schema: { query: exportQuery },
      handler: async (ctx) => {
        const events: ReturnType<typeof fleetAuditEvent>[] = [];
        let cursor: string | undefined;
        do {
          const page = await core.audit.list(filterOf(ctx.query), { limit: CHUNK, cursor });
          events.push(...page.items.map(fleetAuditEvent));
          cursor = page.next_cursor ?? undefined;
        } while (cursor && events.length < EXPORT_MAX);
        const rows = events.slice(0, EXPORT_MAX);
        const csv = ctx.query.format === 'csv';
        const body = csv ? [CSV_COLUMNS.join(','), ...rows.map(csvRow)].join('\r\n') + '\r\n' : JSON.stringify(rows);
        // The runner sends string bodies as the route's one declared type; JSON gets its own here.
        ctx.raw.reply
          .code(200)
          .header('content-disposition', `attachment; filename="audit-events.${ctx.query.format}"`)
          .type(csv ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
          .send(body);
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
        response: z.object({
          data: z.array(aifwAuditEntry), items: z.array(auditEventView), total: z.number().int(), limit: z.number().int(), offset: z.number().int(),
        }),
      },
      handler: async ({ query }) => {
        const page = await offsetPage(query.limit, query.offset);
        return { data: page.items.map(aifwEntry), ...page, limit: query.limit, offset: query.offset };
      },
    }),
  ];
}

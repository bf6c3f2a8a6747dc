import { z } from 'zod';
import { AUDIT_PAGE_MAX } from '../../../core/audit/audit.service.js';
import type { AuditEvent } from '../../../core/audit/audit.types.js';
import type { Core } from '../../../core/index.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { userLabels } from '../workflows/workflow-common.js';

/** ISO 8601 date (midnight UTC) or date-time, with or without a zone (none: UTC, as FastAPI's naive datetimes). */
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const instant = (name: string) =>
  z.string().transform((value, ctx) => {
    const text = value.trim();
    const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) || !text.includes(':') ? text : `${text}Z`;
    const time = ISO.test(text) ? Date.parse(zoned.replace(' ', 'T')) : NaN;
    if (Number.isNaN(time)) {
      ctx.addIssue({ code: 'custom', message: `${name} must be an ISO 8601 date or date-time, e.g. 2026-06-10T10:00:00Z` });
      return z.NEVER;
    }
    return new Date(time).toISOString();
  });

const auditEntry = z.object({
  id: z.string(),
  occurred_at: z.string(),
  action: z.string(),
  actor_type: z.string(),
  actor_id: z.string().nullable(),
  actor_name: z.string().nullable(),
  /** Nebula Commander's actor fields: the user's id (null for devices, keys, the system), who it was, and their email. */
  actor_user_id: z.string().nullable(),
  actor_identifier: z.string().nullable(),
  actor_email: z.string().nullable(),
  resource_type: z.string().nullable(),
  resource_id: z.string().nullable(),
  result: z.string(),
  details: z.record(z.string(), z.unknown()),
  client_ip: z.string().nullable(),
});

const query = z.object({
  // Larger limits are clamped to the maximum rather than refused: the spec names a maximum, not an error.
  limit: z.coerce.number().int().min(1).default(50).transform((n) => Math.min(n, AUDIT_PAGE_MAX)),
  offset: z.coerce.number().int().min(0).default(0),
  action: z.string().max(200).optional(),
  resource_type: z.string().max(100).optional(),
  from_date: instant('from_date').optional(),
  to_date: instant('to_date').optional(),
});

const actorUserId = (e: AuditEvent) => (e.actor_type === 'user' ? e.actor_id : null);

/** An audit row as Commander lists it, with Rampart's actor_type, actor_id and actor_name beside its actor fields. */
function entryOf(e: AuditEvent, email: string | null): z.infer<typeof auditEntry> {
  return {
    id: e.id,
    occurred_at: e.occurred_at,
    action: e.action,
    actor_type: e.actor_type,
    actor_id: e.actor_id,
    actor_name: e.actor_name,
    actor_user_id: actorUserId(e),
    // As Commander: the user's email when they have one, else the actor's name (a username, a device's hostname, a key's name).
    actor_identifier: email ?? e.actor_name,
    actor_email: email,
    resource_type: e.resource_type,
    resource_id: e.resource_id,
    result: e.result,
    details: e.details,
    client_ip: e.client_ip,
  };
}

/** Nebula Commander's GET /api/audit over Rampart's one audit trail: every module's events, newest first. */
export function overlayAuditRoutes(core: Pick<Core, 'audit' | 'db'>): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/audit', surface: 'overlay', permission: 'audit:read', tags: ['audit'],
      summary: `Audit log, newest first (system admins). ?limit (default 50; above ${AUDIT_PAGE_MAX} is clamped to ${AUDIT_PAGE_MAX}), ?offset, ?action, ?resource_type, ?from_date and ?to_date (ISO 8601, both inclusive)`,
      schema: { query, response: z.array(auditEntry) },
      handler: async ({ query: q }) => {
        // to_date is inclusive; the store's upper bound is exclusive, so move it one millisecond on.
        const until = q.to_date ? new Date(Date.parse(q.to_date) + 1).toISOString() : undefined;
        const page = await core.audit.list({ action: q.action, resourceType: q.resource_type, since: q.from_date, until }, { limit: q.limit, offset: q.offset });
        const users = await userLabels(core.db, page.items.map(actorUserId));
        return page.items.map((e) => entryOf(e, users.get(actorUserId(e) ?? '')?.email ?? null));
      },
    }),
  ];
}

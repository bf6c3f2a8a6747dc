import { z } from 'zod';
import { principalOf, type RouteContext } from '../../../http/route.js';
import type { AuditWriter } from '../alerts/alert.service.js';

/** What the fleet's newer routes share: OpenWatch's query shapes, and who is acting in a request. */

/** ?limit as OpenWatch's keyset lists take it: 1..max, default 50; anything else is 400. */
export const keysetLimit = (max = 200, fallback = 50) =>
  z
    .string()
    .regex(/^\d{1,6}$/, 'limit must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1, 'limit must be at least 1').max(max, `limit must be at most ${max}`))
    .optional()
    .transform((v) => v ?? fallback);

/** An RFC 3339 timestamp with its offset. */
export const timestamp = z.string().datetime({ offset: true });

export const uuidParam = z.object({ id: z.string().uuid() });

/** The principal acting in a request, with an audit writer that records its client address and correlation id. */
export function requestActor(ctx: RouteContext<any>): { id: string; audit: AuditWriter } {
  const principal = principalOf(ctx);
  return { id: principal.id, audit: (event) => ctx.recordAudit(event) };
}

/**
 * A path parameter followed by a `:action` suffix in the same segment (OpenWatch's /alerts/{id}:acknowledge): the
 * router needs the parameter to stop at the colon, which a constraint says. Use as `${idThenAction('id')}::resolve`.
 */
export const idThenAction = (name: string) => `:${name}(^[^:/]+)`;

import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { defineRoute, principalOf, type RouteDefinition } from '../../../http/route.js';
import { fleetServices } from '../fleet.services.js';
import { keysetLimit, timestamp } from '../common/route-helpers.js';
import { ALERT_SEVERITIES } from '../alerts/alert.types.js';
import { ACTIVITY_SOURCES, activityItem } from './activity.types.js';

const query = z.object({
  source: z.enum(ACTIVITY_SOURCES).optional(),
  severity: z.enum(ALERT_SEVERITIES).optional(),
  host_id: z.string().uuid().optional(),
  since: timestamp.optional(),
  until: timestamp.optional(),
  cursor: z.string().max(512).optional(),
  limit: keysetLimit(),
});

/** GET /api/v1/activity: any signed-in caller; the rows are filtered by what the caller may read. */
export function activityRoutes(core: Core): RouteDefinition<any>[] {
  const { activity } = fleetServices(core);
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/activity', surface: 'fleet', permission: 'authenticated', tags: ['activity'],
      summary: 'The unified activity feed (alerts, audit; compliance transactions, intelligence and monitoring as their parts land), newest first, with hidden_count',
      schema: { query, response: z.object({ items: z.array(activityItem), hidden_count: z.number().int(), next_cursor: z.string().nullable() }) },
      handler: (ctx) => {
        const { cursor, limit, ...filter } = ctx.query;
        return activity.list(principalOf(ctx), filter, { limit, cursor });
      },
    }),
  ];
}

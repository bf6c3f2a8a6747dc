import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { fleetServices } from '../fleet.services.js';
import { idThenAction, keysetLimit, requestActor, timestamp, uuidParam } from '../common/route-helpers.js';
import { ALERT_SEVERITIES, ALERT_STATES, alertView, type AlertAction } from './alert.types.js';

const listQuery = z.object({
  state: z.enum(ALERT_STATES).optional(),
  host_id: z.string().uuid().optional(),
  severity: z.enum(ALERT_SEVERITIES).optional(),
  since: timestamp.optional(),
  until: timestamp.optional(),
  cursor: z.string().max(512).optional(),
  limit: keysetLimit(),
});
const lifecycleBody = z.object({ reason: z.string().max(256).optional(), until: timestamp.optional() }).default({});
const page = z.object({ items: z.array(alertView), next_cursor: z.string().nullable() });

/** Per action: the summary, and the narrower permission OpenWatch's registry defines for it besides alert:write. */
const ACTIONS: { action: Exclude<AlertAction, 'unsilence'>; summary: string; narrower?: string }[] = [
  { action: 'acknowledge', summary: 'Acknowledge an active alert', narrower: 'alert:acknowledge' },
  { action: 'silence', summary: 'Silence an active or acknowledged alert, until a time (returns to active then) or indefinitely' },
  { action: 'resolve', summary: 'Resolve an active, acknowledged or silenced alert', narrower: 'alert:resolve' },
  { action: 'dismiss', summary: 'Dismiss an alert (terminal)' },
];

/** GET /api/v1/alerts[/:id] and the four lifecycle actions (OpenWatch's alerts API). */
export function alertRoutes(core: Core): RouteDefinition<any>[] {
  const { alerts } = fleetServices(core);
  const tags = ['alerts'];
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/alerts', surface: 'fleet', permission: 'alert:read', tags,
      summary: 'List alerts, newest first; filters state, host_id, severity, since, until; opaque cursor; limit 1-200 (50)',
      schema: { query: listQuery, response: page },
      handler: (ctx) => {
        const { cursor, limit, ...filter } = ctx.query;
        return alerts.list(filter, { limit, cursor });
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/alerts/:id', surface: 'fleet', permission: 'alert:read', tags,
      summary: 'One alert, whatever its state', schema: { params: uuidParam, response: alertView },
      handler: (ctx) => alerts.get(ctx.params.id),
    }),
    ...ACTIONS.map(({ action, summary, narrower }) =>
      defineRoute({
        method: 'POST', path: `/api/v1/alerts/${idThenAction('id')}::${action}`, surface: 'fleet', permission: 'alert:write',
        ...(narrower ? { alsoPermittedBy: [narrower] } : {}),
        tags, summary,
        description: '409 alerts.invalid_transition when the alert is in a state the action does not leave from.',
        schema: { params: uuidParam, body: lifecycleBody, response: alertView },
        handler: (ctx) => {
          const { reason, until } = ctx.body;
          if (until !== undefined && action !== 'silence') throw errors.validation('until applies to :silence only', { details: { field: 'until' } });
          return alerts.transition(ctx.params.id, action, requestActor(ctx), { reason, until });
        },
      }),
    ),
  ];
}

import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { RampartError } from '../../../core/errors.js';
import type { BusEvent } from '../../../core/events/event-bus.js';
import { defineRoute, principalOf, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import { openSseStream, streamEvents } from '../../../http/sse.js';
import type { FleetServices } from '../fleet.services.js';
import { preferencesShape } from './preferences.service.js';

const feedItem = z.object({
  id: z.string(), kind: z.string(), severity: z.string(), title: z.string(), body: z.string().nullable(), link: z.string().nullable(),
  read: z.boolean(), created_at: z.string(), read_at: z.string().nullable(),
});
const readTarget = z.object({
  target: z.string().regex(/^[0-9a-fA-F-]{36}:read$/, 'must be {notification id}:read').transform((value) => value.slice(0, -':read'.length).toLowerCase()),
});

/** The kinds OpenWatch's UI subscribes to; fleet parts publish them on the bus as fleet.<kind>. */
export const LIVE_EVENT_KINDS = ['host.changed', 'monitoring.band.changed', 'host.discovered', 'intelligence.event', 'scan.completed', 'remediation.completed'] as const;
const topicsQuery = z.object({
  topics: z.string().max(500).optional().transform((value, ctx) => {
    const wanted = value ? value.split(',').map((t) => t.trim()).filter(Boolean) : [...LIVE_EVENT_KINDS];
    const unknown = wanted.find((t) => !(LIVE_EVENT_KINDS as readonly string[]).includes(t));
    if (unknown) ctx.addIssue({ code: 'custom', message: `unknown topic ${unknown}; known: ${LIVE_EVENT_KINDS.join(', ')}` });
    return new Set(wanted);
  }),
});

/** Per-user feeds and preferences belong to a person: API tokens are refused, as OpenWatch refuses them. */
function userOnly(ctx: RouteContext<any>): string {
  const p = principalOf(ctx);
  if (p.type !== 'user') throw new RampartError({ code: 'auth.api_token_not_allowed', status: 403, fault: 'policy', message: 'API tokens cannot use per-user endpoints' });
  return p.id;
}

/**
 * What OpenWatch's app frame calls on every page: the notification bell's feed, the user's UI preferences, and
 * the live event stream that refreshes host lists and details.
 */
export function frameRoutes(core: Core, fleet: FleetServices): RouteDefinition<any>[] {
  const { notifications, preferences } = fleet;
  const tags = ['fleet frame'];
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/notifications/feed', surface: 'fleet', permission: 'authenticated', tags,
      summary: "The caller's newest notifications and how many are unread",
      schema: { response: z.object({ items: z.array(feedItem), unread_count: z.number().int() }) },
      handler: (ctx) => notifications.feed(userOnly(ctx)),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/notifications/feed::read-all', surface: 'fleet', permission: 'authenticated', tags,
      summary: "Mark all the caller's notifications read",
      schema: { response: z.object({ marked: z.number().int() }) },
      handler: async (ctx) => ({ marked: await notifications.markAllRead(userOnly(ctx)) }),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/notifications/feed/:target', surface: 'fleet', permission: 'authenticated', tags, status: 204,
      summary: 'POST /api/v1/notifications/feed/{id}:read marks one of the caller\'s notifications read',
      schema: { params: readTarget },
      handler: async (ctx) => {
        await notifications.markRead(userOnly(ctx), ctx.params.target);
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/users/me/preferences', surface: 'fleet', permission: 'authenticated', tags,
      summary: "The caller's UI preferences (keys never set are absent)",
      schema: { response: preferencesShape },
      handler: (ctx) => preferences.get(userOnly(ctx)),
    }),
    defineRoute({
      method: 'PATCH', path: '/api/v1/users/me/preferences', surface: 'fleet', permission: 'authenticated', tags, unknownFields: 'reject',
      summary: 'Change some of the caller\'s UI preferences; returns them all',
      schema: { body: preferencesShape, response: preferencesShape },
      handler: (ctx) => preferences.patch(userOnly(ctx), ctx.body),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/events', surface: 'fleet', permission: 'host:read', tags, produces: 'text/event-stream',
      summary: 'Server-sent fleet events: ?topics= a comma list of ' + LIVE_EVENT_KINDS.join(', ') + ' (default all)',
      description: 'Each event is `event: <kind>` with data {kind, timestamp, payload}; payload carries host_id where one applies.',
      schema: { query: topicsQuery, responses: { 400: { description: 'an unknown topic' } } },
      handler: async (ctx) => {
        const wanted = ctx.query.topics;
        const stream = openSseStream(ctx.raw, { heartbeatMs: 15_000, retryMs: 3_000 });
        streamEvents(core.events, 'fleet.*', stream, {
          map: (event: BusEvent) => {
            const kind = event.topic.slice('fleet.'.length);
            if (!wanted.has(kind)) return null;
            return { event: kind, id: event.id, data: { kind, timestamp: event.published_at, payload: event.payload } };
          },
        });
      },
    }),
  ];
}

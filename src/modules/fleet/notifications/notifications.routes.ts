import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { fleetServices } from '../fleet.services.js';
import { idThenAction, requestActor, uuidParam } from '../common/route-helpers.js';
import { channelCreate, channelPatch, channelView } from './channel.types.js';

const testResult = z.object({ delivered: z.literal(true), status: z.number().int().optional() });

/** Notification channels (OpenWatch's notifications/channels): CRUD and a test send. Secrets are write-only. */
export function notificationRoutes(core: Core): RouteDefinition<any>[] {
  const { channels } = fleetServices(core);
  const tags = ['notifications'];
  const base = '/api/v1/notifications/channels';
  return [
    defineRoute({
      method: 'GET', path: base, surface: 'fleet', permission: 'notification:read', tags,
      summary: 'List notification channels (OpenWatch reads them as {channels})', schema: { response: z.object({ channels: z.array(channelView) }) },
      handler: async () => ({ channels: await channels.list() }),
    }),
    defineRoute({
      method: 'POST', path: base, surface: 'fleet', permission: 'notification:write', tags, status: 201,
      summary: 'Create a channel: webhook (JSON, HMAC-SHA256 in X-Rampart-Signature with a secret, bearer token optional), slack or email',
      schema: { body: channelCreate, response: channelView },
      handler: (ctx) => channels.create(ctx.body, requestActor(ctx)),
    }),
    defineRoute({
      method: 'GET', path: `${base}/:id`, surface: 'fleet', permission: 'notification:read', tags,
      summary: 'One notification channel', schema: { params: uuidParam, response: channelView },
      handler: (ctx) => channels.get(ctx.params.id),
    }),
    defineRoute({
      method: 'PATCH', path: `${base}/:id`, surface: 'fleet', permission: 'notification:write', tags,
      summary: 'Change a channel (not its kind); a url, secret or token given replaces the stored one, absent keeps it',
      schema: { params: uuidParam, body: channelPatch, response: channelView },
      handler: (ctx) => channels.update(ctx.params.id, ctx.body, requestActor(ctx)),
    }),
    defineRoute({
      method: 'DELETE', path: `${base}/:id`, surface: 'fleet', permission: 'notification:delete', tags, status: 204,
      summary: 'Delete a channel', schema: { params: uuidParam },
      handler: (ctx) => channels.remove(ctx.params.id, requestActor(ctx)),
    }),
    defineRoute({
      method: 'POST', path: `${base}/${idThenAction('id')}::test`, surface: 'fleet', permission: 'notification:test', tags,
      summary: 'Send a sample alert through the channel now: 200 when it was taken, 502 notifications.delivery_failed when not',
      schema: { params: uuidParam, response: testResult, responses: { 502: { description: 'the channel did not take the sample; the message says why' } } },
      handler: (ctx) => channels.test(ctx.params.id, requestActor(ctx)),
    }),
  ];
}

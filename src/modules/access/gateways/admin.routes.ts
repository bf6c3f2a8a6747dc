import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { accessServices } from '../access.services.js';
import { callerTenant } from '../common/tenant-scope.js';
import { connectionTruth as truthResponse, gatewayHealth, poolView, sessionPage } from './gateway.responses.js';
import { idParam, poolBody, sessionQuery } from './gateway.schemas.js';

const tags = ['access gateways'];

/** The admin routes over pools, gateways, their health, sessions and connection truth. */
export function gatewayAdminRoutes(core: Core): RouteDefinition<any>[] {
  const access = accessServices(core);
  const { pools, gateways, sessions, connectionTruth } = access.gateways;
  const tenant = (ctx: Parameters<typeof callerTenant>[1]) => callerTenant(access.hooks, ctx);
  return [
    defineRoute({
      method: 'GET', path: '/v1/admin/settings/gateway-pools', surface: 'access', permission: 'access_gateway:read', tags,
      summary: 'Gateway pools, with how many gateways each has',
      schema: { response: z.object({ items: z.array(poolView) }) },
      handler: async (ctx) => ({ items: await pools.list(await tenant(ctx)) }),
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/settings/gateway-pools', surface: 'access', permission: 'access_gateway:write', tags, audit: 'access.pool.upsert',
      summary: 'Create a pool, or update the one with this id (201 when created); a name another pool has is 409 conflict',
      schema: { body: poolBody, response: poolView },
      handler: async (ctx) => {
        const t = await tenant(ctx);
        const { pool, created } = await pools.upsert(t, ctx.body, () => access.hooks.checkEntitlement(t, 'pools'));
        ctx.auditResource('access_gateway_pool', pool.id, { name: pool.name, created });
        if (created) ctx.reply.status(201);
        return pool;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/v1/admin/settings/gateway-pools/:id', surface: 'access', permission: 'access_gateway:write', tags, audit: 'access.pool.delete', status: 204,
      summary: 'Delete a pool; 409 conflict while gateways remain in it',
      schema: { params: idParam },
      handler: async (ctx) => {
        ctx.auditResource('access_gateway_pool', ctx.params.id);
        await pools.remove(await tenant(ctx), ctx.params.id);
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/gateway/health', surface: 'access', permission: 'access_gateway:read', tags,
      summary: "Gateway fleet health: each pool's online gateways against its min_healthy, and every gateway's status",
      schema: { response: gatewayHealth },
      handler: async (ctx) => gateways.health(await tenant(ctx)),
    }),
    defineRoute({
      method: 'DELETE', path: '/v1/admin/gateways/:id', surface: 'access', permission: 'access_gateway:write', tags, audit: 'access.gateway.delete', status: 204,
      summary: 'Remove a gateway: its credential stops working and its sessions are dropped (not in the spec; the console needs it)',
      schema: { params: idParam },
      handler: async (ctx) => {
        ctx.auditResource('access_gateway', ctx.params.id);
        await gateways.remove(await tenant(ctx), ctx.params.id);
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/sessions', surface: 'access', permission: 'access_session:read', tags,
      summary: 'VPN sessions (device, user, gateway, pool, bytes, state), newest started first; filters state, device_id, user_id, gateway_id; ?limit&cursor',
      schema: { query: sessionQuery, response: sessionPage },
      handler: async (ctx) => sessions.list(await tenant(ctx), { ...ctx.query, limit: ctx.query.limit ?? 50 }),
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/connection_truth', surface: 'access', permission: 'access_session:read', tags,
      summary: 'What the control plane allows against what gateways report; revoked_but_connected items are alerts',
      schema: { response: truthResponse },
      handler: async (ctx) => connectionTruth(await tenant(ctx)),
    }),
  ];
}

import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { AccessServices } from '../access.services.js';
import { pageQueryFields } from '../common/cursor.js';
import { callerTenant } from '../common/tenant-scope.js';
import { CHANNELS, DEVICE_STATUSES, deviceView, LIFECYCLE_ACTIONS, PLATFORMS } from './device.types.js';

const BATCH_MAX = 500;
const deviceId = z.object({ device_id: z.string().uuid() });
const listQuery = z.object({
  status: z.enum(DEVICE_STATUSES).optional(),
  user_id: z.string().uuid().optional(),
  platform: z.enum(PLATFORMS).optional(),
  channel: z.enum(CHANNELS).optional(),
  posture: z.enum(['compliant', 'noncompliant', 'unknown']).optional(),
  q: z.string().trim().min(1).max(128).optional(),
  tenant_id: z.string().uuid().optional(),
  ...pageQueryFields,
});
const lifecycleBody = z.object({
  action: z.enum(LIFECYCLE_ACTIONS),
  device_id: z.string().uuid(),
  reason: z.string().max(512).optional(),
  channel: z.enum(CHANNELS).optional(),
});
const batchBody = z.object({
  action: z.enum(LIFECYCLE_ACTIONS),
  device_ids: z.array(z.string().uuid()).min(1).max(BATCH_MAX),
  reason: z.string().max(512).optional(),
  channel: z.enum(CHANNELS).optional(),
});
const batchResult = z.object({
  results: z.array(z.object({ device_id: z.string(), ok: z.boolean(), status: z.string().optional(), error: z.object({ error: z.string(), detail: z.string() }).optional() })),
});

/** /v1/admin/devices: enrolled devices, their lifecycle one at a time or in batches. */
export function deviceRoutes(access: AccessServices): RouteDefinition<any>[] {
  const { devices } = access.enrollment;
  const tags = ['access devices'];
  return [
    defineRoute({
      method: 'GET', path: '/v1/admin/devices', surface: 'access', permission: 'access_device:read', tags,
      summary: 'List devices, newest first, by status, user_id, platform, channel, posture or q (name, serial, address, key)',
      schema: { query: listQuery, response: z.object({ items: z.array(deviceView), next_cursor: z.string().nullable() }) },
      handler: async (ctx) => {
        const tenantId = await callerTenant(access.hooks, ctx);
        if (ctx.query.tenant_id !== undefined && ctx.query.tenant_id !== tenantId) return { items: [], next_cursor: null };
        return devices.list({ ...ctx.query, tenant_id: tenantId });
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/devices/:device_id', surface: 'access', permission: 'access_device:read', tags,
      summary: 'One device',
      schema: { params: deviceId, response: deviceView },
      handler: async (ctx) => devices.get(await callerTenant(access.hooks, ctx), ctx.params.device_id),
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/devices/lifecycle', surface: 'access', permission: 'access_device:write', tags,
      audit: 'access.device.lifecycle',
      summary: 'approve | suspend | reactivate | revoke | set_channel one device; revoked is final (409 conflict)',
      schema: { body: lifecycleBody, response: z.object({ device: deviceView }) },
      handler: async (ctx) => {
        ctx.auditResource('access_device', ctx.body.device_id, { action: ctx.body.action, reason: ctx.body.reason ?? null, channel: ctx.body.channel ?? null });
        return { device: await devices.lifecycle({ ...ctx.body, tenant_id: await callerTenant(access.hooks, ctx) }) };
      },
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/devices/batch', surface: 'access', permission: 'access_device:write', tags,
      audit: 'access.device.batch',
      summary: `One lifecycle action on up to ${BATCH_MAX} devices; each device's outcome in results (one failing does not stop the others)`,
      schema: { body: batchBody, response: batchResult },
      handler: async (ctx) => {
        const { action, reason, channel } = ctx.body;
        const tenantId = await callerTenant(access.hooks, ctx);
        const results = [];
        for (const id of [...new Set(ctx.body.device_ids)]) {
          try {
            const device = await devices.lifecycle({ action, device_id: id, reason, channel, tenant_id: tenantId });
            results.push({ device_id: id, ok: true, status: device.status });
          } catch (err) {
            const e = err as { code?: string; status?: number; message: string };
            if (typeof e.status !== 'number' || e.status >= 500) throw err;
            results.push({ device_id: id, ok: false, error: { error: e.code === 'validation_failed' ? 'validation_error' : e.code ?? 'bad_request', detail: e.message } });
          }
        }
        ctx.auditResource('access_device', null, { action, reason: reason ?? null, ok: results.filter((r) => r.ok).map((r) => r.device_id), failed: results.filter((r) => !r.ok).map((r) => r.device_id) });
        return { results };
      },
    }),
  ];
}

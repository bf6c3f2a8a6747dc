import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { AccessServices } from '../access.services.js';
import { callerTenant } from '../common/tenant-scope.js';
import { LIMIT_METRICS, TENANT_ACTIONS } from './tenant.service.js';

const tags = ['access tenants'];
const surface = 'access' as const;
const limitsShape = z.object(Object.fromEntries(LIMIT_METRICS.map((m) => [m, z.number().int().min(0).nullable()])) as Record<(typeof LIMIT_METRICS)[number], z.ZodNullable<z.ZodNumber>>);
const overrides = z.object({ plan: z.string().min(1).max(64).nullable().optional(), limits: limitsShape.partial().optional(), features: z.array(z.string().min(1).max(64)).max(100).optional() }).strict();
export const tenantView = z.object({
  id: z.string(), name: z.string(), slug: z.string(), status: z.enum(['active', 'suspended', 'deleted']), plan: z.string().nullable(),
  overrides: z.object({ plan: z.string().nullable().optional(), limits: z.record(z.string(), z.number().nullable()).optional(), features: z.array(z.string()).optional() }),
  admin_count: z.number(), created_at: z.string(), updated_at: z.string(), suspended_at: z.string().nullable(), deleted_at: z.string().nullable(),
});
const lifecycleBody = z.object({
  action: z.enum(TENANT_ACTIONS),
  tenant_id: z.uuid().optional(),
  name: z.string().trim().min(1).max(128).optional(),
  slug: z.string().max(63).optional(),
  plan: z.string().min(1).max(64).nullable().optional(),
  user_id: z.uuid().optional(),
  service_account_id: z.uuid().optional(),
  overrides: overrides.optional(),
});
const tenantParam = z.object({ tenant_id: z.uuid() });
const limits = z.object(Object.fromEntries(LIMIT_METRICS.map((m) => [m, z.number().nullable()])) as Record<(typeof LIMIT_METRICS)[number], z.ZodNullable<z.ZodNumber>>);
const licenseStates = z.enum(['valid', 'grace', 'expired', 'invalid', 'missing']);
const entitlementView = z.object({
  tenant_id: z.string(), plan: z.string(), limits, features: z.array(z.string()), source: z.enum(['license', 'override', 'default']),
  license_state: licenseStates, valid_until: z.string().nullable(),
});
const metric = z.object({ metric: z.enum(LIMIT_METRICS), value: z.number(), limit: z.number().nullable(), percent: z.number().nullable(), state: z.enum(['ok', 'approaching', 'exceeded']) });
const statusView = z.object({
  tenant_id: z.string(), state: z.enum(['ok', 'warning', 'exceeded', 'grace', 'expired']), license_state: licenseStates, plan: z.string(),
  usage: z.object(Object.fromEntries(LIMIT_METRICS.map((m) => [m, z.number()])) as Record<(typeof LIMIT_METRICS)[number], z.ZodNumber>), limits, metrics: z.array(metric),
  grace_until: z.string().nullable(),
});
const alertsView = z.object({
  tenant_id: z.string(),
  items: z.array(z.object({ metric: z.string(), kind: z.enum(['approaching', 'exceeded']), value: z.number().nullable(), limit: z.number().nullable(), detail: z.string(), since: z.string() })),
});
const usageView = z.object({
  tenant_id: z.string(), period: z.string(), from: z.string(), to: z.string(), active_users: z.number(), active_devices: z.number(), sessions: z.number(),
  bytes_rx: z.number(), bytes_tx: z.number(), mean_rtt_ms: z.number().nullable(), devices_enrolled: z.number(), devices: z.number(), users: z.number(),
  gateways: z.number(), pools: z.number(),
});

/** /v1/admin/tenants: tenants, their lifecycle, and each tenant's entitlement, status, alerts and usage. */
export function tenantRoutes(access: AccessServices): RouteDefinition<any>[] {
  const { tenants, entitlements } = access.tenants;
  const { hooks } = access;
  return [
    defineRoute({
      method: 'GET', path: '/v1/admin/tenants', surface, tags, permission: 'access_tenant:read',
      summary: "Tenants: every one for the default (provider) tenant's administrators, the caller's own otherwise",
      schema: { query: z.object({ status: z.enum(['active', 'suspended', 'deleted']).optional() }), response: z.object({ items: z.array(tenantView) }) },
      handler: async (ctx) => tenants.list(await callerTenant(hooks, ctx), ctx.query),
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/tenants/:tenant_id', surface, tags, permission: 'access_tenant:read',
      summary: "One tenant (Rampart's addition): the caller's own, or any for the provider's administrators; 404 otherwise",
      schema: { params: tenantParam, response: tenantView },
      handler: async (ctx) => tenants.get(await callerTenant(hooks, ctx), ctx.params.tenant_id),
    }),
    defineRoute({
      method: 'POST', path: '/v1/admin/tenants/lifecycle', surface, tags, permission: 'access_tenant:write', audit: 'access.tenant.lifecycle',
      summary: 'create | update | suspend | reactivate | delete | assign_admin | remove_admin | set_overrides (provider administrators only)',
      schema: { body: lifecycleBody, response: z.object({ tenant: tenantView }) },
      handler: async (ctx) => {
        const tenant = await tenants.lifecycle(await callerTenant(hooks, ctx), ctx.body);
        if (ctx.body.action === 'create') ctx.reply.status(201);
        ctx.auditResource('access_tenant', tenant.id, { action: ctx.body.action, user_id: ctx.body.user_id ?? null, service_account_id: ctx.body.service_account_id ?? null, overrides: ctx.body.overrides ?? null });
        return { tenant };
      },
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/tenants/:tenant_id/entitlement', surface, tags, permission: 'access_tenant:read',
      summary: "The tenant's resolved entitlement: the licence's plan, limits and features with the tenant's overrides",
      schema: { params: tenantParam, response: entitlementView },
      handler: async (ctx) => entitlements.resolve(await tenants.visible(await callerTenant(hooks, ctx), ctx.params.tenant_id)),
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/tenants/:tenant_id/entitlement/status', surface, tags, permission: 'access_tenant:read',
      summary: 'Enforcement status: ok | warning (a metric at 80%) | exceeded | grace | expired, with usage against each limit',
      schema: { params: tenantParam, response: statusView },
      handler: async (ctx) => entitlements.status(await tenants.visible(await callerTenant(hooks, ctx), ctx.params.tenant_id)),
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/tenants/:tenant_id/alerts', surface, tags, permission: 'access_tenant:read',
      summary: 'Open entitlement alerts: approaching (80%) and exceeded limits, the licence in grace or expired, each with since',
      schema: { params: tenantParam, response: alertsView },
      handler: async (ctx) => entitlements.alerts(await tenants.visible(await callerTenant(hooks, ctx), ctx.params.tenant_id)),
    }),
    defineRoute({
      method: 'GET', path: '/v1/admin/tenants/:tenant_id/usage', surface, tags, permission: 'access_tenant:read',
      summary: 'Metered usage in a month (?period=YYYY-MM, this one by default): sessions, users, devices and bytes from gateway metering',
      schema: { params: tenantParam, query: z.object({ period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'period is YYYY-MM').optional() }), response: usageView },
      handler: async (ctx) => {
        const row = await tenants.visible(await callerTenant(hooks, ctx), ctx.params.tenant_id);
        return entitlements.usage(row, ctx.query.period ?? access.core.now().toISOString().slice(0, 7));
      },
    }),
  ];
}

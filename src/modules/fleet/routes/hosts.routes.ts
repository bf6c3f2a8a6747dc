import { Readable } from 'node:stream';
import { z } from 'zod';
import { pageQueryShape } from '../../../http/pagination.js';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { FleetServices } from '../fleet.services.js';
import { withEtag } from '../../../http/etag.js';
import { noCompliance } from '../hosts/host.view.js';
import { monitoringState, reachabilityStatus } from './fleet.schemas.js';
import { createdBy, hostDetailSchema, hostListItemSchema, hostSchema, notFound } from './fleet.schemas.js';

const tags = ['fleet hosts'];
const surface = 'fleet' as const;

/** Names and addresses go to ping and ssh as arguments: no leading dash, no spaces. */
const HOSTNAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ADDRESS = /^[A-Za-z0-9][A-Za-z0-9.:_-]*$/;

const mutable = {
  ip_address: z.string().min(1).max(64).regex(ADDRESS, 'ip_address must be an IP address or a host name'),
  port: z.number().int().min(1).max(65_535),
  display_name: z.string().max(256).nullable(),
  description: z.string().max(1_024).nullable(),
  environment: z.string().min(1).max(64),
  tags: z.array(z.string().min(1).max(64)).max(64),
  group_id: z.string().uuid().nullable(),
  username: z.string().min(1).max(256).nullable(),
};
const createBody = z.object({
  hostname: z.string().min(1).max(256).regex(HOSTNAME, 'hostname must be a host name (letters, digits, ".", "_", "-")'),
  ip_address: mutable.ip_address,
  port: mutable.port.optional(),
  display_name: mutable.display_name.optional(),
  description: mutable.description.optional(),
  environment: mutable.environment.optional(),
  tags: mutable.tags.optional(),
  group_id: mutable.group_id.optional(),
  username: mutable.username.optional(),
});
const patchBody = z.object({
  ...Object.fromEntries(Object.entries(mutable).map(([k, v]) => [k, v.optional()])),
  check_priority: z.number().int().min(1).max(10).optional(),
  target_framework: z.string().min(1).max(64).nullable().optional(),
}) as z.ZodType<Partial<{ [K in keyof typeof mutable]: z.output<(typeof mutable)[K]> }> & { check_priority?: number; target_framework?: string | null }>;

const idParams = z.object({ id: z.string() });
const hostIdParams = z.object({ host_id: z.string() });
/** OpenWatch lists every host (its UI counts the fleet's KPIs from the whole list); ?limit/?offset page it. */
const HOST_PAGE = { defaultLimit: 50, maxLimit: 1_000 };
const paging = pageQueryShape(HOST_PAGE);
const listQuery = z.object({
  environment: z.string().max(64).optional(),
  tag: z.string().max(64).optional(),
  framework: z.string().max(64).optional(),
  limit: paging.limit.unwrap().optional(),
  offset: paging.offset.unwrap().optional(),
});
const listResponse = z.object({
  hosts: z.array(hostListItemSchema),
  total: z.number().int().describe('hosts matching the filters, on every page'),
  limit: z.number().int().nullable().describe('the page size; null when the whole list was asked for'),
  offset: z.number().int(),
});

const historyEntry = z.object({
  id: z.string(),
  host_id: z.string(),
  check_time: z.string(),
  monitoring_state: monitoringState,
  previous_state: monitoringState.nullable(),
  reachability_status: reachabilityStatus,
  response_time_ms: z.number().int().nullable(),
  ping_ok: z.boolean().nullable(),
  ssh_ok: z.boolean().nullable(),
  privilege_ok: z.boolean().nullable(),
  failed_layer: z.enum(['ping', 'ssh', 'privilege']).nullable(),
  error_message: z.string().nullable(),
  error_type: z.string().nullable(),
});
const checkResult = z.object({
  reachable: z.boolean(),
  response_time_ms: z.number().int(),
  probed_at: z.string(),
  new_reachability_status: z.enum(['reachable', 'unreachable']),
  error_type: z.string().nullable(),
  host_id: z.string(),
  previous_state: monitoringState,
  monitoring_state: monitoringState,
  reachability_status: reachabilityStatus,
  layers: z.object({ icmp: z.boolean(), ssh: z.boolean().nullable(), privilege: z.boolean().nullable() }),
  privilege: z.string().nullable(),
  error: z.string().nullable(),
});

const asBool = (v: number | null) => (v === null ? null : v === 1);
/** The first layer that failed in a history row. */
const failedLayer = (r: { icmp_ok: number | null; ssh_ok: number | null; privilege_ok: number | null }) =>
  r.icmp_ok === 0 ? 'ping' : r.ssh_ok === 0 ? 'ssh' : r.privilege_ok === 0 ? 'privilege' : null;

/** /api/v1/hosts: managed hosts with their liveness and compliance summary, maintenance, history and checks. */
export function hostsRoutes(fleet: FleetServices): RouteDefinition<any>[] {
  const { hosts, liveness, core, config } = fleet;

  /** OpenWatch discovers a new host at once unless the discovery config says not to. */
  async function discoverOnFirstContact(hostId: string): Promise<boolean> {
    const discovery = await config.get('discovery');
    if (!discovery.detect_on_first_contact || discovery.maintenance_global) return false;
    await core.jobs.queue.enqueue('fleet.discovery', { host_id: hostId });
    return true;
  }
  const dialect = core.db.dialect;
  const list = fleet.hostList;

  async function setMaintenance(id: string, enabled: boolean | undefined) {
    const row = await hosts.row(id);
    const target = enabled ?? !dialect.fromBool(row.maintenance_mode);
    const updated = await hosts.setMaintenance(id, target);
    await liveness.maintenanceChanged(await hosts.row(id), target);
    return updated;
  }

  return [
    defineRoute({
      method: 'POST', path: '/api/v1/hosts', surface, permission: 'host:write', tags, audit: 'host.created', status: 201,
      summary: 'Register a host; (hostname, environment) is unique among hosts not deleted. Queues its discovery (job fleet.discovery) when the discovery config detects on first contact',
      schema: { body: createBody, response: hostSchema, responses: { 409: { description: 'hosts.duplicate: the hostname exists in that environment' } } },
      handler: async (ctx) => {
        const host = await hosts.create(ctx.body, createdBy(ctx.principal));
        const discovery = await discoverOnFirstContact(host.id);
        ctx.auditResource('host', host.id, { hostname: host.hostname, environment: host.environment, ip_address: host.ip_address, discovery_queued: discovery });
        return host;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/hosts', surface, permission: 'host:read', tags,
      summary: `List hosts by hostname with liveness and compliance summary; filters environment, tag, framework (the summary counts that framework). Every host unless ?limit (1-${HOST_PAGE.maxLimit}) or ?offset asks for a page (${HOST_PAGE.defaultLimit} hosts when only ?offset is given); total counts every match. The whole list (no parameters) carries an ETag and answers 304 to If-None-Match while no host changed`,
      // Sent as rendered: the whole list comes ready-made from the cache, the rest is serialized here.
      produces: 'application/json; charset=utf-8',
      schema: { query: listQuery, response: listResponse },
      handler: async (ctx) => {
        const { limit, offset, ...filter } = ctx.query;
        const page = limit !== undefined || offset !== undefined ? { limit: limit ?? HOST_PAGE.defaultLimit, offset: offset ?? 0 } : undefined;
        if (!page && !filter.environment && !filter.tag && !filter.framework) {
          const whole = await fleet.hostListCache.get();
          if (whole) {
            const fresh = withEtag(ctx, whole.etag, whole);
            if (!fresh) return undefined; // 304
            ctx.reply.header('content-length', String(fresh.length));
            return Readable.from(fresh.parts, { objectMode: false });
          }
        }
        const found = await list.list(filter, page);
        return JSON.stringify({ hosts: found.items, total: found.total, limit: page?.limit ?? null, offset: page?.offset ?? 0 });
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/hosts/:id', surface, permission: 'host:read', tags,
      summary: 'A host with its liveness and compliance summary (query framework narrows the summary)',
      schema: { params: idParams, query: z.object({ framework: z.string().max(64).optional() }), response: hostDetailSchema, responses: notFound('host') },
      handler: async (ctx) => {
        const [e] = await list.enrich([await hosts.row(ctx.params.id)], ctx.query.framework);
        return { host: e!.view, liveness: e!.liveness, ...(e!.compliance ?? noCompliance()) };
      },
    }),
    defineRoute({
      method: 'PATCH', path: '/api/v1/hosts/:id', surface, permission: 'host:write', tags, audit: 'host.updated',
      summary: 'Change a host (every field of create but hostname, plus check_priority and target_framework)',
      schema: { params: idParams, body: patchBody, response: hostSchema, responses: { ...notFound('host'), 409: { description: 'hosts.duplicate' } } },
      handler: async (ctx) => {
        const host = await hosts.update(ctx.params.id, ctx.body);
        ctx.auditResource('host', host.id, { hostname: host.hostname, changed: Object.keys(ctx.body) });
        return host;
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/hosts/:id(^[^:]+)::target', surface, permission: 'host:write', tags, audit: 'host.updated',
      summary: 'Set or clear ("" or null) the framework the host is graded against (what PATCH {target_framework} does)',
      schema: { params: idParams, body: z.object({ target_framework: z.string().max(64).nullable() }), response: hostSchema, responses: notFound('host') },
      handler: async (ctx) => {
        const host = await hosts.update(ctx.params.id, { target_framework: ctx.body.target_framework || null });
        ctx.auditResource('host', host.id, { hostname: host.hostname, changed: ['target_framework'] });
        return host;
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/hosts/:id', surface, permission: 'host:delete', tags, audit: 'host.deleted', status: 204,
      summary: 'Soft-delete a host: it disappears from the API and frees its hostname; its history stays',
      schema: { params: idParams, responses: notFound('host') },
      handler: async (ctx) => {
        const host = await hosts.softDelete(ctx.params.id);
        ctx.auditResource('host', host.id, { hostname: host.hostname, environment: host.environment });
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/hosts/:host_id/maintenance', surface, permission: 'host:write', tags, audit: 'host.updated',
      summary: 'Toggle maintenance mode, or set it with {enabled}; in maintenance a host is not probed',
      schema: { params: hostIdParams, body: z.object({ enabled: z.boolean().optional() }).optional(), response: hostSchema, responses: notFound('host') },
      handler: async (ctx) => {
        const host = await setMaintenance(ctx.params.host_id, ctx.body?.enabled);
        ctx.auditResource('host', host.id, { maintenance_mode: host.maintenance_mode });
        return host;
      },
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/hosts/:host_id/maintenance', surface, permission: 'host:write', tags, audit: 'host.updated',
      summary: 'Set maintenance mode (OpenWatch source form): {enabled}',
      schema: { params: hostIdParams, body: z.object({ enabled: z.boolean() }), response: hostSchema, responses: notFound('host') },
      handler: async (ctx) => {
        const host = await setMaintenance(ctx.params.host_id, ctx.body.enabled);
        ctx.auditResource('host', host.id, { maintenance_mode: host.maintenance_mode });
        return host;
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/hosts/:host_id/monitoring/history', surface, permission: 'host:read', tags,
      summary: 'Liveness probes of a host, newest first (limit 1-500; another value reads as the default 50)',
      schema: {
        params: hostIdParams,
        query: z.object({ limit: z.coerce.number().int().optional().catch(undefined) }),
        response: z.object({ host_id: z.string(), entries: z.array(historyEntry) }),
        responses: notFound('host'),
      },
      handler: async (ctx) => {
        await hosts.row(ctx.params.host_id);
        const asked = ctx.query.limit;
        const limit = asked !== undefined && asked >= 1 && asked <= 500 ? asked : 50;
        const rows = await liveness.store.history(ctx.params.host_id, { limit });
        return {
          host_id: ctx.params.host_id,
          entries: rows.map((r) => ({
            id: r.id,
            host_id: r.host_id,
            check_time: r.checked_at,
            monitoring_state: r.monitoring_state,
            previous_state: r.previous_state,
            reachability_status: r.reachability_status,
            response_time_ms: r.response_ms,
            ping_ok: asBool(r.icmp_ok),
            ssh_ok: asBool(r.ssh_ok),
            privilege_ok: asBool(r.privilege_ok),
            failed_layer: failedLayer(r),
            error_message: r.error,
            error_type: r.error_type,
          })),
        };
      },
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/hosts/:id/connectivity::check', surface, permission: 'host:connectivity_check', tags,
      idempotency: 'required',
      summary: 'Probe a host now (ICMP, SSH, privilege) and apply the result to its liveness; needs an Idempotency-Key',
      schema: { params: idParams, response: checkResult, responses: { ...notFound('host'), 409: { description: 'an Idempotency-Key reused for another request' } } },
      // Not an audited route: the probe waits on the network, which must not hold a transaction open.
      handler: async (ctx) => {
        const result = await liveness.check(ctx.params.id);
        await ctx.recordAudit({
          action: 'host.connectivity.checked',
          resource: { type: 'host', id: result.host_id },
          result: 'success',
          details: { monitoring_state: result.monitoring_state, error: result.error },
        });
        return result;
      },
    }),
  ];
}

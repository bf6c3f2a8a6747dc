import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { defineRoute, principalOf, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import type { BlockedEntry, BlockedRing } from './blocked.js';
import { interfaceConfigBody, routeBody, vlanBody, type NetworkService } from './network.service.js';
import { pagedListRoute } from './paged-list.js';

const tags = ['edge network'];
const surface = 'edge' as const;
const nameParam = z.object({ name: z.string().min(1).max(64) });
const idParam = z.object({ id: z.string().uuid() });
const data = <T extends z.ZodType>(schema: T) => z.object({ data: schema });
const message = z.object({ message: z.string() });
/** The write's comment (AiFw's "METHOD path") and who made it: the config version it saves records both. */
const by = (ctx: RouteContext<any>) => [`${ctx.raw.request.method} ${ctx.raw.request.url.split('?')[0]}`, principalOf(ctx).name] as const;
const ip = z.string().max(64).optional();

// ---- response shapes (AiFw's; the OpenAPI document and the console's generated types come from them) ----
const stamps = { created_at: z.string(), updated_at: z.string() };
const interfaceView = z.object({
  name: z.string(), mac: z.string().nullable(), ipv4: z.string().nullable(), ipv4_netmask: z.string().nullable(), ipv4_prefix: z.number().int().nullable(),
  ipv6: z.string().nullable(), status: z.enum(['up', 'down']), mtu: z.number().int(), media: z.string(), description: z.string().nullable(),
  is_vlan: z.boolean(), vlan_id: z.number().int().nullable(), vlan_parent: z.string().nullable(),
  bytes_in: z.number(), bytes_out: z.number(), packets_in: z.number(), packets_out: z.number(), errors_in: z.number(), errors_out: z.number(),
  gateway: z.string().nullable(), ipv4_mode: z.string(), role: z.string().nullable(),
}).describe('EdgeInterface');
const interfaceConfigView = z.object({
  name: z.string(), ipv4_mode: z.string(), ipv4_address: z.string().nullable(), gateway: z.string().nullable(), ipv6_address: z.string().nullable(),
  mtu: z.number().int(), enabled: z.boolean(), description: z.string().nullable(),
}).describe('EdgeInterfaceConfig');
const interfaceStats = z.object({
  name: z.string(), bytes_in: z.number(), bytes_out: z.number(), packets_in: z.number(), packets_out: z.number(), errors_in: z.number(), errors_out: z.number(),
  status: z.enum(['up', 'down']),
}).describe('EdgeInterfaceStats');
const roleView = z.object({ interface: z.string(), role: z.string().nullable() });
const vlanView = z.object({
  id: z.string(), name: z.string(), vlan_id: z.number().int(), parent: z.string(), ipv4_mode: z.enum(['dhcp', 'static', 'none']),
  ipv4_address: z.string().nullable(), ipv6_address: z.string().nullable(), mtu: z.number().int().nullable(), enabled: z.boolean(), description: z.string().nullable(), ...stamps,
}).describe('EdgeVlan');
const routeView = z.object({
  id: z.string(), destination: z.string(), gateway: z.string(), interface: z.string().nullable(), metric: z.number().int().nullable(), enabled: z.boolean(),
  description: z.string().nullable(), fib: z.number().int().nullable(), ...stamps,
}).describe('EdgeStaticRoute');
const systemRouteView = z.object({ destination: z.string(), gateway: z.string().nullable(), flags: z.string(), interface: z.string().nullable() }).loose().describe('EdgeSystemRoute');
const connectionView = z.object({
  id: z.number().int(), protocol: z.string(), src_addr: z.string(), src_port: z.number().int(), dst_addr: z.string(), dst_port: z.number().int(), state: z.string(),
  packets_in: z.number(), packets_out: z.number(), bytes_in: z.number(), bytes_out: z.number(), age_secs: z.number(),
}).describe('EdgeConnection');
const blockedView = z.object({
  timestamp: z.string(), action: z.string(), direction: z.string(), interface: z.string(), protocol: z.string(), src_addr: z.string(), src_port: z.number().int(),
  dst_addr: z.string(), dst_port: z.number().int(), rule: z.string().nullable(),
}).describe('EdgeBlockedPacket');
const logView = z.object({
  id: z.string(), timestamp: z.string(), action: z.string(), rule_id: z.string().nullable(), details: z.string(), source: z.enum(['firewall', 'audit']),
}).describe('EdgeLogEntry');

type LogEntry = z.input<typeof logView>;

/** The firewall's blocked packets and the edge's audit entries as AiFw's log lines, newest first. */
async function logEntries(core: Core, blocked: BlockedRing, source?: 'firewall' | 'audit', search?: string): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  if (source !== 'audit') {
    blocked.recent(10_000).forEach((b: BlockedEntry, i) =>
      entries.push({
        id: `fw-${b.timestamp}-${i}`, timestamp: b.timestamp, action: b.action, rule_id: b.rule, source: 'firewall',
        details: `${b.direction} ${b.interface} ${b.protocol} ${b.src_addr}:${b.src_port} -> ${b.dst_addr}:${b.dst_port}`,
      }),
    );
  }
  if (source !== 'firewall') {
    const audit = await core.audit.list({}, { limit: 200 });
    for (const e of audit.items.filter((a) => a.action.startsWith('edge.'))) {
      entries.push({ id: e.id, timestamp: e.occurred_at, action: e.action, rule_id: e.resource_type === 'rule' ? e.resource_id : null, details: `${e.actor_name ?? e.actor_type} ${e.result}`, source: 'audit' });
    }
  }
  return entries
    .filter((e) => !search || `${e.action} ${e.details}`.toLowerCase().includes(search.toLowerCase()))
    .sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0));
}

/** AiFw's interfaces, VLANs, routes, connections, blocked traffic and logs (docs/edge.md). */
export function networkRoutes(core: Core, net: NetworkService, blocked: BlockedRing): RouteDefinition<any>[] {
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/interfaces', surface, permission: 'interfaces:read', tags,
      summary: 'The interfaces of the box (name, addresses, status, role)', schema: { response: data(z.array(interfaceView)) },
      handler: async () => ({ data: await net.interfaces() }),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/interfaces/detailed', surface, permission: 'interfaces:read', tags,
      summary: 'Interfaces with their counters (bytes, packets, errors in and out)', schema: { response: data(z.array(interfaceView)) },
      handler: async () => ({ data: await net.detailed() }),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/interfaces/roles', surface, permission: 'interfaces:read', tags,
      summary: 'Role assignments (wan, lan ...)', schema: { response: data(z.array(z.object({ interface: z.string(), role: z.string() }))) },
      handler: async () => ({ data: await net.roles() }),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/interfaces/config/:name', surface, permission: 'interfaces:read', tags,
      summary: "One interface's configuration", schema: { params: nameParam, response: data(interfaceConfigView) },
      handler: async (ctx) => ({ data: await net.interfaceConfig(ctx.params.name) }),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/interfaces/config/:name', surface, permission: 'interfaces:write', tags, audit: 'edge.interface.update',
      summary: 'Configure an interface (ipv4_mode, address, gateway, mtu, enabled); applied at once with the data plane on',
      description: 'A value the host refuses answers 400 and changes nothing stored (AiFw answers 200 with a failure message).',
      schema: { params: nameParam, body: interfaceConfigBody, response: z.object({ message: z.string(), data: interfaceConfigView }) },
      handler: async (ctx) => {
        ctx.auditResource('interface', ctx.params.name, { fields: Object.keys(ctx.body) });
        const data = await net.setInterfaceConfig(ctx.params.name, ctx.body, ...by(ctx));
        return { message: `interface ${ctx.params.name} configured`, data };
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/interfaces/:name/stats', surface, permission: 'interfaces:read', tags,
      summary: 'Live counters of one interface', schema: { params: nameParam, response: data(interfaceStats) },
      handler: async (ctx) => ({ data: await net.stats(ctx.params.name) }),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/interfaces/:name/role', surface, permission: 'interfaces:read', tags,
      summary: "One interface's role (null when none)", schema: { params: nameParam, response: data(roleView) },
      handler: async (ctx) => ({ data: await net.role(ctx.params.name) }),
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/interfaces/:name/role', surface, permission: 'interfaces:write', tags, audit: 'edge.interface.role',
      summary: "Set an interface's role (free text; WAN lookups use \"WAN\", any case)",
      schema: { params: nameParam, body: z.object({ role: z.string().trim().min(1).max(32).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only') }), response: data(roleView) },
      handler: async (ctx) => {
        ctx.auditResource('interface', ctx.params.name, { role: ctx.body.role });
        return { data: await net.setRole(ctx.params.name, ctx.body.role, ...by(ctx)) };
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/interfaces/:name/role', surface, permission: 'interfaces:write', tags, audit: 'edge.interface.role',
      summary: "Remove an interface's role", schema: { params: nameParam, response: message },
      handler: async (ctx) => {
        ctx.auditResource('interface', ctx.params.name, { role: null });
        await net.setRole(ctx.params.name, null, ...by(ctx));
        return { message: `role of ${ctx.params.name} removed` };
      },
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/vlans', surface, permission: 'interfaces:read', tags,
      summary: 'VLANs (802.1Q, device <parent>.<vlan_id>)', schema: { response: data(z.array(vlanView)) },
      handler: async () => ({ data: await net.vlans() }),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/vlans', surface, permission: 'interfaces:write', tags, status: 201, audit: 'edge.vlan.create',
      summary: 'Create a VLAN; applied on POST /api/v1/reload (marks firewall pending)',
      schema: { body: vlanBody, response: data(vlanView), responses: { 409: { description: 'that VLAN exists on that parent' } } },
      handler: async (ctx) => {
        const vlan = await net.createVlan(ctx.body, ...by(ctx));
        ctx.auditResource('vlan', vlan.id, { name: vlan.name });
        return { data: vlan };
      },
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/vlans/:id', surface, permission: 'interfaces:write', tags, audit: 'edge.vlan.update',
      summary: 'Replace a VLAN; applied on reload', schema: { params: idParam, body: vlanBody, response: data(vlanView) },
      handler: async (ctx) => {
        ctx.auditResource('vlan', ctx.params.id);
        return { data: await net.updateVlan(ctx.params.id, ctx.body, ...by(ctx)) };
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/vlans/:id', surface, permission: 'interfaces:write', tags, audit: 'edge.vlan.delete',
      summary: 'Delete a VLAN; its device goes on reload', schema: { params: idParam, response: message },
      handler: async (ctx) => {
        ctx.auditResource('vlan', ctx.params.id);
        await net.deleteVlan(ctx.params.id, ...by(ctx));
        return { message: 'VLAN deleted' };
      },
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/routes', surface, permission: 'interfaces:read', tags,
      summary: 'Static routes', schema: { response: data(z.array(routeView)) },
      handler: async () => ({ data: await net.routes() }),
    }),
    defineRoute({
      method: 'POST', path: '/api/v1/routes', surface, permission: 'interfaces:write', tags, status: 201, audit: 'edge.route.create',
      summary: 'Add a static route; applied at once with the data plane on (400 when the kernel refuses it)',
      schema: { body: routeBody, response: data(routeView) },
      handler: async (ctx) => {
        const route = await net.createRoute(ctx.body, ...by(ctx));
        ctx.auditResource('route', route.id, { destination: route.destination, gateway: route.gateway });
        return { data: route };
      },
    }),
    defineRoute({
      method: 'PUT', path: '/api/v1/routes/:id', surface, permission: 'interfaces:write', tags, audit: 'edge.route.update',
      summary: 'Replace a static route; applied at once', schema: { params: idParam, body: routeBody, response: data(routeView) },
      handler: async (ctx) => {
        ctx.auditResource('route', ctx.params.id);
        return { data: await net.updateRoute(ctx.params.id, ctx.body, ...by(ctx)) };
      },
    }),
    defineRoute({
      method: 'DELETE', path: '/api/v1/routes/:id', surface, permission: 'interfaces:write', tags, audit: 'edge.route.delete',
      summary: 'Delete a static route; removed at once', schema: { params: idParam, response: message },
      handler: async (ctx) => {
        ctx.auditResource('route', ctx.params.id);
        await net.deleteRoute(ctx.params.id, ...by(ctx));
        return { message: 'route deleted' };
      },
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/routes/system', surface, permission: 'interfaces:read', tags,
      summary: 'The kernel routing table (netstat -rn): destination, gateway, flags, interface',
      schema: { response: data(z.array(systemRouteView)) },
      handler: async () => ({ data: await net.systemRoutes() }),
    }),

    pagedListRoute({
      path: '/api/v1/connections', permission: 'connections:view', tags, summary: 'The connection table from conntrack',
      defaultLimit: 100, maxLimit: 10_000, item: connectionView,
      filters: { protocol: z.string().max(16).optional(), src: ip, dst: ip },
      list: async ({ protocol, src, dst }) =>
        (await net.connections()).filter((f) => (!protocol || f.protocol === protocol) && (!src || f.src_addr === src) && (!dst || f.dst_addr === dst)),
    }),
    pagedListRoute({
      path: '/api/v1/blocked', permission: 'connections:view', tags, summary: 'Recently blocked packets, newest first, filters src, dst, protocol, interface',
      defaultLimit: 100, maxLimit: 10_000, item: blockedView,
      filters: { src: ip, dst: ip, protocol: z.string().max(16).optional(), interface: z.string().max(15).optional() },
      list: (filter) => blocked.list(filter),
    }),
    pagedListRoute({
      path: '/api/v1/logs', permission: 'logs:view', tags, summary: 'Firewall (blocked packets) and audit log entries, newest first, &source=firewall|audit &search',
      defaultLimit: 1000, maxLimit: 10_000, item: logView,
      filters: { source: z.enum(['firewall', 'audit']).optional(), search: z.string().max(200).optional() },
      list: ({ source, search }) => logEntries(core, blocked, source, search),
    }),
  ];
}

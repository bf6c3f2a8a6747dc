import { z } from 'zod';
import { defineRoute, principalOf, type RouteContext, type RouteDefinition } from '../../../http/route.js';
import { emitAction, type Rule } from './firewall.model.js';
import type { FirewallService } from './firewall.service.js';

/**
 * AiFw's firewall routes (docs/edge.md): rules, schedules, aliases, NAT, geo-IP. Bodies are AiFw's: `{"data": ...}`,
 * `{"message": ...}` for deletes and actions, 201 on create. Request bodies are parsed by the service, which
 * accepts every spelling AiFw accepts and refuses anything that could change the compiled script's meaning.
 */
const surface = 'edge' as const;
/**
 * A body's fields, as AiFw names them: unknown fields are refused (as on the other surfaces); each value is parsed
 * by the service, which accepts every spelling AiFw accepts. `accepted` names fields AiFw's UI sends that Rampart
 * does not use (it derives or does not serve them), accepted so the UI's forms still post.
 */
const fields = (read: string[], accepted: Record<string, string> = {}) =>
  z.object(Object.fromEntries([
    ...read.map((k) => [k, z.unknown().optional()]),
    ...Object.entries(accepted).map(([k, why]) => [k, z.unknown().optional().describe(`accepted, not used: ${why}`)]),
  ]));
const ports = (...names: string[]) => names.flatMap((n) => [`${n}_start`, `${n}_end`]);
const ruleBody = fields(
  ['action', 'direction', 'interface', 'protocol', 'src_addr', 'dst_addr', ...ports('src_port', 'dst_port'), 'src_invert', 'dst_invert',
    'log', 'quick', 'label', 'description', 'state_tracking', 'status', 'schedule_id', 'src_port_alias', 'dst_port_alias', 'priority'],
  { ip_version: 'derived from the addresses', gateway: 'policy routing is not served (AiFw\'s UI sends null)' },
).describe('EdgeRuleInput');
const scheduleBody = fields(['name', 'description', 'time_ranges', 'days_of_week', 'enabled']).describe('EdgeScheduleInput');
const aliasBody = fields(['name', 'alias_type', 'entries', 'description', 'enabled']).describe('EdgeAliasInput');
const natBody = fields(['nat_type', 'interface', 'protocol', 'src_addr', 'dst_addr', 'redirect_addr', ...ports('src_port', 'dst_port', 'redirect_port'), 'label', 'status']).describe('EdgeNatInput');
const geoBody = fields(['country', 'country_code', 'action', 'label', 'status']).describe('EdgeGeoRuleInput');
const idParam = z.object({ id: z.string().min(1).max(64) });
const data = (schema: z.ZodType = z.unknown()) => z.object({ data: schema });
const message = z.object({ message: z.string() });
/** Who writes: the config version a write saves names them (created_by). */
const actor = (ctx: RouteContext<any>) => principalOf(ctx).name;
const reorderBody = z.object({ rule_ids: z.array(z.string().min(1).max(64)).max(100_000) });

const portRange = z.object({ start: z.number().int(), end: z.number().int() }).nullable();
const status = z.enum(['active', 'disabled']);
const stamps = { created_at: z.string(), updated_at: z.string() };
const ruleView = z.object({
  id: z.string(), priority: z.number().int(), action: z.enum(['pass', 'block', 'blockdrop', 'blockreturn']), direction: z.enum(['in', 'out', 'any']),
  ip_version: z.enum(['inet', 'inet6', 'both']), interface: z.string().nullable(), protocol: z.string(),
  rule_match: z.object({ src_addr: z.string(), src_port: portRange, dst_addr: z.string(), dst_port: portRange }),
  src_invert: z.boolean(), dst_invert: z.boolean(), log: z.boolean(), quick: z.boolean(), label: z.string().nullable(), description: z.string().nullable(),
  gateway: z.string().nullable(), state_options: z.object({ tracking: z.string() }).passthrough(), status, schedule_id: z.string().nullable(),
  src_port_alias: z.string().nullable(), dst_port_alias: z.string().nullable(), ...stamps,
}).describe('EdgeRule');
const aliasView = z.object({
  id: z.string(), name: z.string(), alias_type: z.enum(['host', 'network', 'port', 'url_table']), entries: z.array(z.string()), description: z.string().nullable(),
  enabled: z.boolean(), resolved: z.array(z.string()), last_fetched_at: z.string().nullable(), last_error: z.string().nullable(), ...stamps,
}).describe('EdgeAlias');
const scheduleView = z.object({
  id: z.string(), name: z.string(), description: z.string().nullable(), time_ranges: z.string(), days_of_week: z.string(), enabled: z.boolean(), ...stamps,
}).describe('EdgeSchedule');
const natView = z.object({
  id: z.string(), nat_type: z.enum(['snat', 'dnat', 'masquerade', 'binat']), interface: z.string(), protocol: z.string(), src_addr: z.string(), src_port: portRange,
  dst_addr: z.string(), dst_port: portRange, redirect: z.object({ address: z.string(), port: portRange }), label: z.string().nullable(), status, ...stamps,
}).describe('EdgeNatRule');
const geoView = z.object({ id: z.string(), country: z.string(), action: z.enum(['allow', 'block']), label: z.string().nullable(), status, ...stamps }).describe('EdgeGeoRule');

/** A rule as AiFw's API writes it: action in serde's lowercase (blockdrop, blockreturn). */
const ruleOut = (r: Rule) => ({ ...r, action: emitAction(r.action) });

export function firewallRoutes(fw: FirewallService): RouteDefinition<any>[] {
  const tags = ['edge firewall'];
  const crud = <T>(opts: {
    path: string; name: string; read: string; write: string; audit: string;
    svc: { list(): Promise<T[]>; get(id: string): Promise<T>; create(b: Record<string, unknown>, actor?: string): Promise<T>; update(id: string, b: Record<string, unknown>, actor?: string): Promise<T>; remove(id: string, actor?: string): Promise<void> };
    body: z.ZodType<Record<string, unknown>>; view: z.ZodType; out?: (x: T) => unknown; getOne?: boolean; merge?: boolean;
  }): RouteDefinition<any>[] => {
    const body = opts.body;
    const out = opts.out ?? ((x: T) => x);
    const routes: RouteDefinition<any>[] = [
      defineRoute({
        method: 'GET', path: opts.path, surface, permission: opts.read, tags, merge: opts.merge,
        summary: `List ${opts.name}s (data)`, schema: { response: data(z.array(opts.view)) },
        handler: async () => ({ data: (await opts.svc.list()).map(out) }),
      }),
      defineRoute({
        method: 'POST', path: opts.path, surface, permission: opts.write, tags, status: 201, audit: `${opts.audit}.create`,
        summary: `Create a ${opts.name}`, schema: { body, response: data(opts.view) },
        handler: async (ctx) => {
          const created = await opts.svc.create(ctx.body, actor(ctx));
          ctx.auditResource(opts.audit, (created as { id: string }).id);
          return { data: out(created) };
        },
      }),
      defineRoute({
        method: 'PUT', path: `${opts.path}/:id`, surface, permission: opts.write, tags, audit: `${opts.audit}.update`,
        summary: `Replace a ${opts.name}`, schema: { params: idParam, body, response: data(opts.view) },
        handler: async (ctx) => {
          ctx.auditResource(opts.audit, ctx.params.id);
          return { data: out(await opts.svc.update(ctx.params.id, ctx.body, actor(ctx))) };
        },
      }),
      defineRoute({
        method: 'DELETE', path: `${opts.path}/:id`, surface, permission: opts.write, tags, audit: `${opts.audit}.delete`,
        summary: `Delete a ${opts.name}`, schema: { params: idParam, response: message },
        handler: async (ctx) => {
          ctx.auditResource(opts.audit, ctx.params.id);
          await opts.svc.remove(ctx.params.id, actor(ctx));
          return { message: `${opts.name} deleted` };
        },
      }),
    ];
    if (opts.getOne !== false) {
      routes.push(
        defineRoute({
          method: 'GET', path: `${opts.path}/:id`, surface, permission: opts.read, tags,
          summary: `One ${opts.name}`, schema: { params: idParam, response: data(opts.view) },
          handler: async (ctx) => ({ data: out(await opts.svc.get(ctx.params.id)) }),
        }),
      );
    }
    return routes;
  };

  const reorder = (path: string, permission: string, audit: string, run: (ids: string[], actor: string) => Promise<void>, what: string) =>
    defineRoute({
      method: 'PUT', path, surface, permission, tags, audit, summary: `Reorder ${what}`,
      schema: { body: reorderBody, response: message },
      handler: async (ctx) => {
        await run(ctx.body.rule_ids, actor(ctx));
        return { message: `${what} reordered` };
      },
    });

  const blockLogging = z.object({ enabled: z.boolean() });
  return [
    // Fixed paths before the :id ones (find-my-way prefers static segments anyway).
    reorder('/api/v1/rules/reorder', 'rules:write', 'edge.rule.reorder', (ids, who) => fw.rules.reorder(ids, who), 'rules'),
    defineRoute({
      method: 'GET', path: '/api/v1/rules/system', surface, permission: 'rules:read', tags,
      summary: 'The read-only rules around the user rules (loopback, state, default deny inbound)',
      schema: { response: data(z.array(z.object({ id: z.string(), chain: z.string(), rule: z.string(), description: z.string() }))) },
      handler: async () => ({ data: await fw.rules.system() }),
    }),
    defineRoute({
      method: 'GET', path: '/api/v1/rules/block-logging', surface, permission: 'rules:read', tags,
      summary: 'Whether blocked packets are logged', schema: { response: data(blockLogging) },
      handler: async () => ({ data: { enabled: await fw.rules.blockLogging() } }),
    }),
    ...(['PUT', 'POST'] as const).map((method) =>
      defineRoute({
        method, path: '/api/v1/rules/block-logging', surface, permission: 'rules:write', tags, audit: 'edge.rule.block_logging',
        summary: 'Turn logging of blocked packets on or off', schema: { body: blockLogging, response: message },
        handler: async (ctx) => {
          await fw.rules.setBlockLogging(ctx.body.enabled, actor(ctx));
          return { message: `block logging ${ctx.body.enabled ? 'enabled' : 'disabled'}` };
        },
      }),
    ),
    ...crud({ path: '/api/v1/rules', name: 'rule', read: 'rules:read', write: 'rules:write', audit: 'edge.rule', svc: fw.rules, body: ruleBody, view: ruleView, out: ruleOut, merge: true }),
    ...crud({ path: '/api/v1/schedules', name: 'schedule', read: 'rules:read', write: 'rules:write', audit: 'edge.schedule', svc: fw.schedules, body: scheduleBody, view: scheduleView }),
    ...crud({ path: '/api/v1/aliases', name: 'alias', read: 'aliases:read', write: 'aliases:write', audit: 'edge.alias', svc: fw.aliases, body: aliasBody, view: aliasView }),
    reorder('/api/v1/nat/reorder', 'nat:write', 'edge.nat.reorder', (ids, who) => fw.nat.reorder(ids, who), 'NAT rules'),
    defineRoute({
      method: 'GET', path: '/api/v1/nat/pf-output', surface, permission: 'nat:read', tags,
      summary: 'The compiled NAT table (nftables text)', schema: { response: data(z.string()) },
      handler: async () => ({ data: await fw.nat.pfOutput() }),
    }),
    ...crud({ path: '/api/v1/nat', name: 'NAT rule', read: 'nat:read', write: 'nat:write', audit: 'edge.nat', svc: fw.nat, body: natBody, view: natView }),
    defineRoute({
      method: 'GET', path: '/api/v1/geoip/lookup/:ip', surface, permission: 'geoip:read', tags,
      summary: 'Country of one address, from the geo-IP database', schema: { params: z.object({ ip: z.string().min(1).max(64) }), response: data(z.object({ ip: z.string(), country: z.string().nullable(), network: z.string().nullable() })) },
      handler: async (ctx) => ({ data: fw.geoip.lookup(ctx.params.ip) }),
    }),
    ...crud({ path: '/api/v1/geoip', name: 'geo-IP rule', read: 'geoip:read', write: 'geoip:write', audit: 'edge.geoip', svc: fw.geoip, body: geoBody, view: geoView }),
  ];
}

import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { EDGE_CHANGED, type EdgeChange, type EdgeHooks } from '../edge.types.js';
import { createDhcpClients, type DhcpWanted } from './dhcp/dhcp-client.js';
import { assertIfaceName, hostExec, readConnections, readLinks, readRoutes, type Exec, type Flow, type LinkInfo } from './host.js';

/** The alias Rampart sets on links it created (VLANs), so it removes only its own. */
export const MANAGED_ALIAS = 'rampart-edge';

type Kind = 'vlan' | 'route' | 'interface';
interface Row { id: string; kind: Kind; name: string; body: unknown; created_at: string; updated_at: string }

// ---- validation (AiFw's bodies; every name and address is checked before anything is stored or run) ----

const cidrOf = (value: string, field: string) => {
  const [addr, prefix, ...rest] = value.split('/');
  const family = isIP(addr ?? '');
  const max = family === 4 ? 32 : 128;
  if (!family || rest.length || prefix === undefined || !/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
    throw errors.validation(`${field}: expected an address with a prefix length (10.0.0.1/24)`);
  }
  return { address: addr!, prefix: Number(prefix), family };
};
const optionalCidr = z.string().max(64).nullish();
const ipv4Mode = z.enum(['dhcp', 'static', 'none']);

export const vlanBody = z.object({
  vlan_id: z.number().int().min(1).max(4094),
  parent: z.string().min(1).max(15),
  ipv4_mode: ipv4Mode.default('none'),
  ipv4_address: optionalCidr,
  ipv6_address: optionalCidr,
  mtu: z.number().int().min(68).max(9216).nullish(),
  enabled: z.boolean().default(true),
  description: z.string().max(256).nullish(),
});
export type VlanInput = z.infer<typeof vlanBody>;

export const routeBody = z.object({
  destination: z.string().min(1).max(64),
  gateway: z.string().min(1).max(64),
  interface: z.string().max(15).nullish(),
  metric: z.number().int().min(0).max(65_535).nullish(),
  enabled: z.boolean().default(true),
  description: z.string().max(256).nullish(),
  fib: z.number().int().min(0).max(255).nullish(),
});
export type RouteInput = z.infer<typeof routeBody>;

export const interfaceConfigBody = z.object({
  ipv4_mode: ipv4Mode.optional(),
  ipv4_address: optionalCidr,
  gateway: z.string().max(64).nullish(),
  ipv6_address: optionalCidr,
  mtu: z.number().int().min(68).max(9216).nullish(),
  enabled: z.boolean().optional(),
  description: z.string().max(256).nullish(),
});
export type InterfaceConfig = z.infer<typeof interfaceConfigBody>;
interface InterfaceRow extends InterfaceConfig { role?: string | null }

function checkVlan(v: VlanInput) {
  assertIfaceName(v.parent, 'parent');
  const name = `${v.parent}.${v.vlan_id}`;
  if (name.length > 15) throw errors.validation(`parent: the VLAN device ${name} would exceed 15 characters`);
  if (v.ipv4_address) cidrOf(v.ipv4_address, 'ipv4_address');
  if (v.ipv6_address) cidrOf(v.ipv6_address, 'ipv6_address');
  if (v.ipv4_mode === 'static' && !v.ipv4_address) throw errors.validation('ipv4_address: required when ipv4_mode is static');
  return name;
}

function checkRoute(r: RouteInput) {
  if (r.destination !== 'default') {
    if (r.destination.includes('/')) cidrOf(r.destination, 'destination');
    else if (!isIP(r.destination)) throw errors.validation('destination: expected an IP address, a CIDR or "default"');
  }
  if (!isIP(r.gateway)) throw errors.validation('gateway: expected an IP address');
  if (r.interface) assertIfaceName(r.interface);
}

function checkInterfaceConfig(c: InterfaceConfig) {
  if (c.ipv4_address) cidrOf(c.ipv4_address, 'ipv4_address');
  if (c.ipv6_address) cidrOf(c.ipv6_address, 'ipv6_address');
  if (c.gateway && !isIP(c.gateway)) throw errors.validation('gateway: expected an IP address');
  if (c.ipv4_mode === 'static' && !c.ipv4_address) throw errors.validation('ipv4_address: required when ipv4_mode is static');
}

/**
 * Interfaces, VLANs, static routes, connections: stored in edge_net_items, read from and applied to the host with
 * iproute2 and conntrack. The host changes only with dataplane.enabled; otherwise writes are stored (and VLANs
 * wait for a reload that applies nothing to the host).
 */
export function createNetworkService(core: Core, hooks: EdgeHooks) {
  const db = () => core.db.kysely as unknown as Kysely<{ edge_net_items: Row }>;
  const d = core.db.dialect;
  const at = () => core.now().toISOString();
  const service = {
    /** How commands reach the host; tests point it into a network namespace. */
    exec: hostExec as Exec,
    applies: () => core.config.dataplane.enabled,
  };
  const run = (cmd: string, args: string[]) => service.exec(cmd, args);
  const dhcp = createDhcpClients({ logger: core.logger.child({ component: 'edge-dhcp' }), pidDir: join(core.config.data_dir, 'edge-dhcp') });

  async function list<T>(kind: Kind): Promise<Array<Row & { value: T }>> {
    const rows = await db().selectFrom('edge_net_items').selectAll().where('kind', '=', kind).orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => ({ ...r, value: d.fromJson<T>(r.body) }));
  }
  async function find<T>(kind: Kind, key: { id?: string; name?: string }): Promise<(Row & { value: T }) | undefined> {
    let q = db().selectFrom('edge_net_items').selectAll().where('kind', '=', kind);
    q = key.id ? q.where('id', '=', key.id) : q.where('name', '=', key.name!);
    const row = await q.executeTakeFirst();
    return row ? { ...row, value: d.fromJson<T>(row.body) } : undefined;
  }
  async function upsert(kind: Kind, name: string, body: unknown, id?: string): Promise<Row> {
    const now = at();
    try {
      if (id) {
        await db().updateTable('edge_net_items').set({ name, body: d.toJson(body) as unknown as string, updated_at: now }).where('id', '=', id).execute();
        return (await db().selectFrom('edge_net_items').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
      }
      const row = { id: randomUUID(), kind, name, body: d.toJson(body), created_at: now, updated_at: now };
      await db().insertInto('edge_net_items').values(row).execute();
      return row;
    } catch (err) {
      if (d.isUniqueViolation(err)) throw errors.conflict(`${kind} ${name} already exists`);
      throw err;
    }
  }
  /** actor: who wrote (the principal's name), recorded as the config version's created_by. */
  const changed = (section: string, comment: string, pending: EdgeChange['pending'], actor?: string) =>
    core.events.publish<EdgeChange>(EDGE_CHANGED, { section, comment, pending, ...(actor ? { actor } : {}) });

  // ---- interfaces ----
  async function interfaceRows() {
    return new Map((await list<InterfaceRow>('interface')).map((r) => [r.name, r.value]));
  }

  function interfaceView(link: LinkInfo, cfg: InterfaceRow | undefined) {
    const v4 = link.ipv4[0];
    return {
      name: link.name,
      mac: link.mac,
      ipv4: v4?.address ?? null,
      ipv4_netmask: v4 ? prefixToMask(v4.prefix) : null,
      ipv4_prefix: v4?.prefix ?? null,
      ipv6: link.ipv6.find((a) => !a.address.startsWith('fe80'))?.address ?? link.ipv6[0]?.address ?? null,
      status: link.up && link.operstate !== 'down' ? 'up' : 'down',
      mtu: link.mtu,
      media: link.kind ?? 'ethernet',
      description: cfg?.description ?? null,
      is_vlan: link.kind === 'vlan',
      vlan_id: link.vlan_id,
      vlan_parent: link.kind === 'vlan' ? link.parent : null,
      bytes_in: link.stats.rx_bytes,
      bytes_out: link.stats.tx_bytes,
      packets_in: link.stats.rx_packets,
      packets_out: link.stats.tx_packets,
      errors_in: link.stats.rx_errors,
      errors_out: link.stats.tx_errors,
      gateway: cfg?.gateway ?? null,
      ipv4_mode: cfg?.ipv4_mode ?? (v4 ? 'static' : 'none'),
      role: cfg?.role ?? null,
    };
  }

  async function interfaces() {
    const [links, cfg] = await Promise.all([readLinks(service.exec), interfaceRows()]);
    return links.map((l) => interfaceView(l, cfg.get(l.name)));
  }

  async function oneInterface(name: string) {
    assertIfaceName(name);
    const link = (await readLinks(service.exec)).find((l) => l.name === name);
    if (!link) throw errors.notFound(`interface ${name} not found`);
    return { link, cfg: (await find<InterfaceRow>('interface', { name }))?.value };
  }

  const runsDhcp = (cfg: InterfaceConfig) => cfg.ipv4_mode === 'dhcp' && cfg.enabled !== false;
  /** The offered router is the default route unless the configuration names a gateway. */
  const dhcpWish = (cfg: InterfaceConfig): DhcpWanted => ({ route: !cfg.gateway });

  async function applyInterface(name: string, cfg: InterfaceConfig) {
    // Leaving dhcp mode: the client releases its lease before the address changes.
    if (!runsDhcp(cfg)) await dhcp.stop(name);
    if (cfg.mtu) await run('ip', ['link', 'set', 'dev', name, 'mtu', String(cfg.mtu)]);
    if (cfg.ipv4_mode === 'static' && cfg.ipv4_address) {
      await run('ip', ['-4', 'addr', 'flush', 'dev', name, 'scope', 'global']);
      await run('ip', ['addr', 'add', cfg.ipv4_address, 'dev', name]);
    } else if (cfg.ipv4_mode === 'none') {
      await run('ip', ['-4', 'addr', 'flush', 'dev', name, 'scope', 'global']);
    }
    if (cfg.ipv6_address) await run('ip', ['-6', 'addr', 'replace', cfg.ipv6_address, 'dev', name]);
    if (cfg.enabled !== undefined) await run('ip', ['link', 'set', 'dev', name, cfg.enabled ? 'up' : 'down']);
    if (cfg.gateway) await run('ip', ['route', 'replace', 'default', 'via', cfg.gateway, 'dev', name]);
    if (runsDhcp(cfg)) {
      // Entering dhcp mode: the static addresses go (a running client's lease, an address with a lifetime, stays).
      if (!dhcp.running().includes(name)) await run('ip', ['-4', 'addr', 'flush', 'dev', name, 'scope', 'global', 'permanent']);
      dhcp.ensure(name, dhcpWish(cfg));
    }
  }

  /**
   * Reload's 'dhcp' step (and the start with the data plane on): a client runs on exactly the interfaces and VLANs
   * in dhcp mode that exist here, enabled.
   */
  async function applyDhcp() {
    if (!service.applies()) return;
    const present = new Set((await readLinks(service.exec)).map((l) => l.name));
    const wanted = new Map<string, DhcpWanted>();
    for (const r of await list<InterfaceRow>('interface')) if (runsDhcp(r.value) && present.has(r.name)) wanted.set(r.name, dhcpWish(r.value));
    for (const v of await list<VlanInput>('vlan')) if (v.value.enabled && v.value.ipv4_mode === 'dhcp' && present.has(v.name)) wanted.set(v.name, { route: true });
    if (wanted.size && !dhcp.available()) throw errors.validation("ipv4_mode dhcp needs a DHCP client on this box: install Debian's busybox (or udhcpc)");
    await dhcp.reconcile(wanted);
  }

  // ---- VLANs ----
  // Every key present, null when unset: AiFw's UI reads them all (ipv6_address ...).
  const vlanView = (r: Row & { value: VlanInput }) => ({
    id: r.id, name: r.name, ipv4_address: null, ipv6_address: null, mtu: null, description: null, ...r.value, created_at: r.created_at, updated_at: r.updated_at,
  });

  /** Makes the host's VLAN links match the stored ones (reload's 'vlans' step). */
  async function applyVlans() {
    if (!service.applies()) return;
    const wanted = (await list<VlanInput>('vlan')).filter((v) => v.value.enabled);
    const links = await readLinks(service.exec);
    const byName = new Map(links.map((l) => [l.name, l]));
    for (const { name, value: v } of wanted) {
      const link = byName.get(name);
      if (!byName.has(v.parent)) throw errors.validation(`VLAN ${name}: parent interface ${v.parent} does not exist`);
      if (link && (link.kind !== 'vlan' || link.vlan_id !== v.vlan_id)) {
        throw errors.conflict(`VLAN ${name}: an interface of that name exists and is not this VLAN`);
      }
      if (!link) await run('ip', ['link', 'add', 'link', v.parent, 'name', name, 'type', 'vlan', 'id', String(v.vlan_id)]);
      await run('ip', ['link', 'set', 'dev', name, 'alias', MANAGED_ALIAS]);
      if (v.mtu) await run('ip', ['link', 'set', 'dev', name, 'mtu', String(v.mtu)]);
      // A VLAN in dhcp mode keeps its lease (the 'dhcp' step runs its client).
      if (v.ipv4_mode !== 'dhcp') await run('ip', ['-4', 'addr', 'flush', 'dev', name, 'scope', 'global']);
      if (v.ipv4_mode === 'static' && v.ipv4_address) await run('ip', ['addr', 'add', v.ipv4_address, 'dev', name]);
      if (v.ipv6_address) await run('ip', ['-6', 'addr', 'replace', v.ipv6_address, 'dev', name]);
      await run('ip', ['link', 'set', 'dev', name, 'up']);
    }
    const keep = new Set(wanted.map((v) => v.name));
    for (const link of links) {
      if (link.kind === 'vlan' && link.alias === MANAGED_ALIAS && !keep.has(link.name)) await run('ip', ['link', 'del', 'dev', link.name]);
    }
  }

  // ---- static routes ----
  const routeView = (r: Row & { value: RouteInput }) => ({
    id: r.id, interface: null, metric: null, description: null, fib: null, ...r.value, created_at: r.created_at, updated_at: r.updated_at,
  });
  const routeArgs = (r: RouteInput) => [
    r.destination, 'via', r.gateway, ...(r.interface ? ['dev', r.interface] : []), ...(r.metric != null ? ['metric', String(r.metric)] : []),
    ...(r.fib ? ['table', String(r.fib)] : []),
  ];
  async function routeOn(r: RouteInput) {
    if (service.applies() && r.enabled) await run('ip', ['route', 'replace', ...routeArgs(r), 'proto', 'static']);
  }
  async function routeOff(r: RouteInput) {
    if (!service.applies() || !r.enabled) return;
    await run('ip', ['route', 'del', ...routeArgs(r)]).catch((err) => {
      // Already gone (an interface went down and took it along): nothing to undo.
      if (!/No such process|not found/i.test(String((err as Error).message))) throw err;
    });
  }
  const hostFailure = (what: string, err: unknown) =>
    errors.validation(`${what}: the host refused it: ${String((err as Error).message).split(': ').slice(1).join(': ') || 'error'}`);

  return {
    service,
    dhcp,
    applyDhcp,
    interfaces,
    async detailed() {
      return interfaces();
    },
    async interfaceConfig(name: string) {
      const { link, cfg } = await oneInterface(name);
      const v4 = link.ipv4[0];
      return {
        name, ipv4_mode: cfg?.ipv4_mode ?? (v4 ? 'static' : 'none'), ipv4_address: cfg?.ipv4_address ?? (v4 ? `${v4.address}/${v4.prefix}` : null),
        gateway: cfg?.gateway ?? null, ipv6_address: cfg?.ipv6_address ?? null, mtu: cfg?.mtu ?? link.mtu,
        enabled: cfg?.enabled ?? link.up, description: cfg?.description ?? null,
      };
    },
    async setInterfaceConfig(name: string, input: InterfaceConfig, comment: string, actor?: string) {
      checkInterfaceConfig(input);
      const { cfg } = await oneInterface(name);
      const existing = await find<InterfaceRow>('interface', { name });
      if (service.applies() && runsDhcp(input) && !dhcp.available()) {
        throw errors.validation("ipv4_mode dhcp needs a DHCP client on this box: install Debian's busybox (or udhcpc)");
      }
      if (service.applies()) {
        try {
          await applyInterface(name, input);
        } catch (err) {
          throw hostFailure(`interface ${name}`, err);
        }
      }
      await upsert('interface', name, { ...input, role: cfg?.role ?? null }, existing?.id);
      await changed('interfaces', comment, [], actor);
      return this.interfaceConfig(name);
    },
    async stats(name: string) {
      const { link } = await oneInterface(name);
      return {
        name, bytes_in: link.stats.rx_bytes, bytes_out: link.stats.tx_bytes, packets_in: link.stats.rx_packets,
        packets_out: link.stats.tx_packets, errors_in: link.stats.rx_errors, errors_out: link.stats.tx_errors, status: link.up ? 'up' : 'down',
      };
    },
    async roles() {
      return (await list<InterfaceRow>('interface')).filter((r) => r.value.role).map((r) => ({ interface: r.name, role: r.value.role! }));
    },
    async role(name: string) {
      assertIfaceName(name);
      return { interface: name, role: (await find<InterfaceRow>('interface', { name }))?.value.role ?? null };
    },
    async setRole(name: string, role: string | null, comment: string, actor?: string) {
      assertIfaceName(name);
      const existing = await find<InterfaceRow>('interface', { name });
      if (!existing && role === null) throw errors.notFound(`interface ${name} has no role`);
      if (!existing && !(await readLinks(service.exec)).some((l) => l.name === name)) throw errors.notFound(`interface ${name} not found`);
      await upsert('interface', name, { ...(existing?.value ?? {}), role }, existing?.id);
      await changed('interfaces', comment, [], actor);
      return { interface: name, role };
    },

    async vlans() {
      return (await list<VlanInput>('vlan')).map(vlanView);
    },
    async createVlan(input: VlanInput, comment: string, actor?: string) {
      const name = checkVlan(input);
      const row = await upsert('vlan', name, input);
      await hooks.markPending(['firewall']);
      await changed('vlans', comment, ['firewall'], actor);
      return vlanView({ ...row, value: input });
    },
    async updateVlan(id: string, input: VlanInput, comment: string, actor?: string) {
      const existing = await find<VlanInput>('vlan', { id });
      if (!existing) throw errors.notFound(`VLAN ${id} not found`);
      const name = checkVlan(input);
      const row = await upsert('vlan', name, input, id);
      await hooks.markPending(['firewall']);
      await changed('vlans', comment, ['firewall'], actor);
      return vlanView({ ...row, value: input });
    },
    async deleteVlan(id: string, comment: string, actor?: string) {
      const existing = await find<VlanInput>('vlan', { id });
      if (!existing) throw errors.notFound(`VLAN ${id} not found`);
      await db().deleteFrom('edge_net_items').where('id', '=', id).execute();
      await hooks.markPending(['firewall']);
      await changed('vlans', comment, ['firewall'], actor);
    },
    applyVlans,

    async routes() {
      return (await list<RouteInput>('route')).map(routeView);
    },
    async createRoute(input: RouteInput, comment: string, actor?: string) {
      checkRoute(input);
      const id = randomUUID();
      try {
        await routeOn(input);
      } catch (err) {
        throw hostFailure('route', err);
      }
      const row = await upsert('route', id, input);
      await changed('static_routes', comment, [], actor);
      return routeView({ ...row, value: input });
    },
    async updateRoute(id: string, input: RouteInput, comment: string, actor?: string) {
      checkRoute(input);
      const existing = await find<RouteInput>('route', { id });
      if (!existing) throw errors.notFound(`route ${id} not found`);
      try {
        await routeOff(existing.value);
        await routeOn(input);
      } catch (err) {
        await routeOn(existing.value).catch(() => {});
        throw hostFailure('route', err);
      }
      const row = await upsert('route', existing.name, input, id);
      await changed('static_routes', comment, [], actor);
      return routeView({ ...row, value: input });
    },
    async deleteRoute(id: string, comment: string, actor?: string) {
      const existing = await find<RouteInput>('route', { id });
      if (!existing) throw errors.notFound(`route ${id} not found`);
      await routeOff(existing.value);
      await db().deleteFrom('edge_net_items').where('id', '=', id).execute();
      await changed('static_routes', comment, [], actor);
    },
    systemRoutes: () => readRoutes(service.exec),

    async connections(): Promise<Flow[]> {
      return readConnections(service.exec);
    },

    /** The config part's snapshot sections: rows as plain JSON, replaced whole on import. */
    section(kind: Kind, sectionName: string) {
      const schema = kind === 'vlan' ? vlanBody : kind === 'route' ? routeBody : interfaceConfigBody.extend({ role: z.string().max(64).nullish() });
      return {
        name: sectionName,
        export: async () => (await list<Record<string, unknown>>(kind)).map((r) => ({ name: r.name, ...r.value })),
        import: async (data: unknown) => {
          const rows = z.array(z.looseObject({ name: z.string().max(64).optional() })).parse(data);
          const parsed = rows.map((r) => {
            const value = schema.parse(r);
            if (kind === 'vlan') return { name: checkVlan(value as VlanInput), value };
            if (kind === 'route') return (checkRoute(value as RouteInput), { name: randomUUID(), value });
            return { name: assertIfaceName(String(r.name ?? '')), value };
          });
          await core.db.transaction(async () => {
            await db().deleteFrom('edge_net_items').where('kind', '=', kind).execute();
            for (const p of parsed) await upsert(kind, p.name, p.value);
          });
        },
      };
    },
  };
}

function prefixToMask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join('.');
}

export type NetworkService = ReturnType<typeof createNetworkService>;

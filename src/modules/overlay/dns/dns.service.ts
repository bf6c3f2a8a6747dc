import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { isUuid } from '../../../core/db/ids.js';
import type { Principal } from '../../../core/principal.js';
import type { NodeConfigState } from '../device/node-configs.js';
import type { NodeService, OverlayBase } from '../nodes/node.service.js';
import type { OverlayDnsConfigRow, OverlayNetworkRow } from '../overlay.tables.js';
import { assertAlias, assertDomain, assertExtraResolvers, assertUpstreamServers, defaultDomain } from './dns-names.js';
import { buildDnsmasqConf } from './dnsmasq-conf.js';

export const dnsConfigView = z.object({
  domain: z.string(),
  enabled: z.boolean(),
  upstream_servers: z.array(z.string()),
  extra_dns_resolvers: z.array(z.string()),
});
export type DnsConfigView = z.infer<typeof dnsConfigView>;
export const dnsAliasView = z.object({ id: z.string(), alias: z.string(), node_id: z.string(), node_hostname: z.string() });
export type DnsAliasView = z.infer<typeof dnsAliasView>;

export interface DnsConfigInput {
  domain?: string | null;
  enabled?: boolean | null;
  upstream_servers?: string[] | null;
  extra_dns_resolvers?: string[] | null;
}

const dnsOff = () => errors.notFound('DNS not enabled for this network');

/**
 * Nebula Commander's per-network DNS: a zone (domain, upstreams, extra resolvers) and aliases, which the
 * network's owners manage, and which devices fetch as a dnsmasq.conf (served on their overlay address) and as
 * the resolver settings for their own system. No node config changes with it: DNS lives beside nebula.
 */
export function createDnsService(base: OverlayBase, nodes: NodeService) {
  const { core, access } = base;
  const { db } = core;
  const json = <T>(v: unknown) => db.dialect.fromJson<T>(v);

  const viewOf = (row: OverlayDnsConfigRow): DnsConfigView => ({
    domain: row.domain,
    enabled: db.dialect.fromBool(row.enabled),
    upstream_servers: json<string[]>(row.upstream_servers),
    extra_dns_resolvers: json<string[]>(row.extra_dns_resolvers),
  });

  const stored = (networkId: string) => db.kysely.selectFrom('overlay_dns_configs').selectAll().where('network_id', '=', networkId).executeTakeFirst();

  /** The network's settings; a network that never had any reads as DNS off under a domain from its name. */
  async function configOf(network: OverlayNetworkRow): Promise<DnsConfigView> {
    const row = await stored(network.id);
    return row ? viewOf(row) : { domain: defaultDomain(network.name), enabled: false, upstream_servers: [], extra_dns_resolvers: [] };
  }

  /** The zone of a device's network, or 404 when DNS is off there. */
  async function enabledZone(networkId: string): Promise<DnsConfigView> {
    const row = await stored(networkId);
    if (!row || !db.dialect.fromBool(row.enabled)) throw dnsOff();
    return viewOf(row);
  }

  async function aliasRows(networkId: string) {
    return db.kysely
      .selectFrom('overlay_dns_aliases as a')
      .innerJoin('overlay_nodes as n', 'n.id', 'a.node_id')
      .select(['a.id', 'a.alias', 'a.node_id', 'n.hostname as node_hostname', 'n.ip_address'])
      .where('a.network_id', '=', networkId)
      .orderBy('a.alias')
      .execute();
  }

  return {
    /** Any member (or system admin) reads the settings; Commander creates a default row on read, Rampart computes it. */
    async getConfig(principal: Principal, networkId: string): Promise<DnsConfigView> {
      return configOf((await access.require(principal, networkId, 'view')).network);
    },

    /** Owners: creates or changes the settings; fields left out keep their value (a new config is enabled unless told). */
    async putConfig(principal: Principal, networkId: string, input: DnsConfigInput): Promise<DnsConfigView> {
      const { network } = await access.require(principal, networkId, 'owner');
      const current = await stored(network.id);
      const base = current ? viewOf(current) : { domain: defaultDomain(network.name), enabled: true, upstream_servers: [], extra_dns_resolvers: [] };
      const next: DnsConfigView = {
        domain: input.domain != null && input.domain.trim() !== '' ? assertDomain(input.domain) : base.domain,
        enabled: input.enabled ?? base.enabled,
        upstream_servers: input.upstream_servers != null ? assertUpstreamServers(input.upstream_servers) : base.upstream_servers,
        extra_dns_resolvers: input.extra_dns_resolvers != null ? assertExtraResolvers(input.extra_dns_resolvers) : base.extra_dns_resolvers,
      };
      const values = {
        domain: next.domain,
        enabled: db.dialect.toBool(next.enabled),
        upstream_servers: db.dialect.toJson(next.upstream_servers),
        extra_dns_resolvers: db.dialect.toJson(next.extra_dns_resolvers),
        updated_at: core.now().toISOString(),
      };
      await db.kysely
        .insertInto('overlay_dns_configs')
        .values({ network_id: network.id, ...values })
        .onConflict((oc) => oc.column('network_id').doUpdateSet(values))
        .execute();
      return next;
    },

    async listAliases(principal: Principal, networkId: string): Promise<DnsAliasView[]> {
      const { network } = await access.require(principal, networkId, 'owner');
      return (await aliasRows(network.id)).map(({ ip_address: _ip, ...alias }) => alias);
    },

    /** 404 when the node is not in the network, 409 when the alias exists. */
    async createAlias(principal: Principal, networkId: string, input: { alias: string; node_id: string }): Promise<DnsAliasView> {
      const { network } = await access.require(principal, networkId, 'owner');
      const alias = assertAlias(input.alias);
      const node = await nodes.store.find(input.node_id);
      if (!node || node.network_id !== network.id) throw errors.notFound('Node not found in this network');
      const taken = await db.kysely.selectFrom('overlay_dns_aliases').select('id').where('network_id', '=', network.id).where('alias', '=', alias).executeTakeFirst();
      if (taken) throw errors.conflict('Alias already exists for this network');
      const row = { id: randomUUID(), network_id: network.id, node_id: node.id, alias, created_at: core.now().toISOString() };
      try {
        await db.kysely.insertInto('overlay_dns_aliases').values(row).execute();
      } catch (err) {
        if (db.dialect.isUniqueViolation(err)) throw errors.conflict('Alias already exists for this network');
        throw err;
      }
      return { id: row.id, alias, node_id: node.id, node_hostname: node.hostname };
    },

    async deleteAlias(principal: Principal, networkId: string, aliasId: string): Promise<{ id: string; alias: string; node_id: string }> {
      const { network } = await access.require(principal, networkId, 'owner');
      const row = isUuid(aliasId)
        ? await db.kysely.selectFrom('overlay_dns_aliases').select(['id', 'alias', 'node_id']).where('id', '=', aliasId).where('network_id', '=', network.id).executeTakeFirst()
        : undefined;
      if (!row) throw errors.notFound('Alias not found');
      await db.kysely.deleteFrom('overlay_dns_aliases').where('id', '=', row.id).execute();
      return row;
    },

    /** The dnsmasq.conf a device serves its network's zone with, listening on its own overlay address. */
    async dnsmasqConf(device: NodeConfigState): Promise<string> {
      const node = await nodes.store.find(device.id);
      if (!node?.ip_address) throw errors.unavailable('Node has no Nebula IP yet; DNS config will be available after the node is assigned an IP');
      const zone = await enabledZone(node.network_id);
      const [members, aliases] = await Promise.all([nodes.store.list([node.network_id]), aliasRows(node.network_id)]);
      return buildDnsmasqConf({
        domain: zone.domain,
        listenAddress: node.ip_address,
        nodes: members.filter((n) => n.ip_address !== null).map((n) => ({ hostname: n.hostname, ip: n.ip_address! })),
        aliases: aliases.filter((a) => a.ip_address !== null).map((a) => ({ alias: a.alias, ip: a.ip_address! })),
        upstreamServers: zone.upstream_servers,
      });
    },

    /** The network-scoped form of dnsmasqConf: 404 for an unknown network, 403 for another network's device. */
    async networkDnsmasqConf(device: NodeConfigState, networkId: string): Promise<string> {
      const network = await access.network(networkId);
      if (network.id !== device.network_id) throw errors.forbidden('Device is not part of this network');
      return this.dnsmasqConf(device);
    },

    /** What a device points its resolver at for the zone: every lighthouse, then the extra resolvers. */
    async clientConfig(device: NodeConfigState): Promise<{ domain: string; dns_servers: string[] }> {
      const zone = await enabledZone(device.network_id);
      const lighthouses = (await nodes.store.listRouting(device.network_id)).filter((n) => db.dialect.fromBool(n.is_lighthouse));
      const servers = [...lighthouses.map((n) => n.ip_address!), ...zone.extra_dns_resolvers];
      return { domain: zone.domain, dns_servers: [...new Set(servers)] };
    },
  };
}

export type DnsService = ReturnType<typeof createDnsService>;

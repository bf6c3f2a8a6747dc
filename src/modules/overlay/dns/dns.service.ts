import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { errors } from '../../../core/errors.js';
import { isUuid } from '../../../core/db/ids.js';
import type { Principal } from '../../../core/principal.js';
import type { DeviceCache } from '../device/device-cache.js';
import type { NetworkParts } from '../device/network-parts.js';
import type { NodeConfigState } from '../device/node-configs.js';
import type { NodeService, OverlayBase } from '../nodes/node.service.js';
import type { OverlayDnsConfigRow, OverlayNetworkRow } from '../overlay.tables.js';
import { assertAlias, assertDomain, assertExtraResolvers, assertUpstreamServers, defaultDomain } from './dns-names.js';
import { dnsmasqListenLine, dnsmasqZoneBody } from './dnsmasq-conf.js';

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

/** What devices of a network fetch of its DNS, built once per config revision: null while DNS is off. */
interface DeviceZone {
  domain: string;
  dnsServers: string[];
  /** dnsmasq.conf after its listen line. */
  dnsmasqBody: string;
}

/** A device's dnsmasq.conf with its ETag (the text's quoted sha256). */
export interface DnsmasqConf {
  text: string;
  etag: string;
}

const ZONE = 'dns-zone';
const DNSMASQ_TAG = 'dnsmasq-etag';

/**
 * Nebula Commander's per-network DNS: a zone (domain, upstreams, extra resolvers) and aliases, which the
 * network's owners manage, and which devices fetch as a dnsmasq.conf (served on their overlay address) and as
 * the resolver settings for their own system. Every change bumps the network's config revision, which what
 * devices fetch is cached under (a node config that does not change keeps its ETag, so devices still get 304).
 */
export function createDnsService(base: OverlayBase, nodes: NodeService, poll: { cache: DeviceCache; parts: NetworkParts }) {
  const { core, access, revisions } = base;
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

  /** What the devices of a network fetch of its DNS, read (and the network's nodes listed) once per revision. */
  async function loadDeviceZone(networkId: string, revision: number): Promise<DeviceZone | null> {
    const row = await stored(networkId);
    if (!row || !db.dialect.fromBool(row.enabled)) return null;
    const zone = viewOf(row);
    const [members, aliases, part] = await Promise.all([nodes.store.list([networkId]), aliasRows(networkId), poll.parts.get(networkId, revision)]);
    const lighthouses = part.peers.filter((p) => p.is_lighthouse).map((p) => p.ip);
    return {
      domain: zone.domain,
      dnsServers: [...new Set([...lighthouses, ...zone.extra_dns_resolvers])],
      dnsmasqBody: dnsmasqZoneBody({
        domain: zone.domain,
        nodes: members.filter((n) => n.ip_address !== null).map((n) => ({ hostname: n.hostname, ip: n.ip_address! })),
        aliases: aliases.filter((a) => a.ip_address !== null).map((a) => ({ alias: a.alias, ip: a.ip_address! })),
        upstreamServers: zone.upstream_servers,
      }),
    };
  }

  /** The zone of a device's network, or 404 when DNS is off there. */
  async function enabledZone(device: NodeConfigState): Promise<DeviceZone> {
    const key = String(device.config_revision);
    let zone = poll.cache.get<DeviceZone | null>(ZONE, device.network_id, key, 0);
    if (zone === undefined) {
      zone = await loadDeviceZone(device.network_id, device.config_revision);
      poll.cache.set(ZONE, device.network_id, key, Infinity, zone);
    }
    if (!zone) throw dnsOff();
    return zone;
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
      await revisions.bump(network.id);
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
      await revisions.bump(network.id);
      return { id: row.id, alias, node_id: node.id, node_hostname: node.hostname };
    },

    async deleteAlias(principal: Principal, networkId: string, aliasId: string): Promise<{ id: string; alias: string; node_id: string }> {
      const { network } = await access.require(principal, networkId, 'owner');
      const row = isUuid(aliasId)
        ? await db.kysely.selectFrom('overlay_dns_aliases').select(['id', 'alias', 'node_id']).where('id', '=', aliasId).where('network_id', '=', network.id).executeTakeFirst()
        : undefined;
      if (!row) throw errors.notFound('Alias not found');
      await db.kysely.deleteFrom('overlay_dns_aliases').where('id', '=', row.id).execute();
      await revisions.bump(network.id);
      return row;
    },

    /**
     * The dnsmasq.conf a device serves its network's zone with, listening on its own overlay address: the
     * network's cached zone behind the device's listen line, its hash remembered per device and revision.
     */
    async dnsmasqConf(device: NodeConfigState): Promise<DnsmasqConf> {
      if (!device.ip_address) throw errors.unavailable('Node has no Nebula IP yet; DNS config will be available after the node is assigned an IP');
      const zone = await enabledZone(device);
      const text = dnsmasqListenLine(device.ip_address) + zone.dnsmasqBody;
      const key = `${device.config_revision}|${device.ip_address}`;
      let etag = poll.cache.get<string>(DNSMASQ_TAG, device.id, key, 0);
      if (!etag) {
        etag = `"${createHash('sha256').update(text).digest('hex')}"`;
        poll.cache.set(DNSMASQ_TAG, device.id, key, Infinity, etag);
      }
      return { text, etag };
    },

    /** The network-scoped form of dnsmasqConf: 404 for an unknown network, 403 for another network's device. */
    async networkDnsmasqConf(device: NodeConfigState, networkId: string): Promise<DnsmasqConf> {
      const network = await access.network(networkId);
      if (network.id !== device.network_id) throw errors.forbidden('Device is not part of this network');
      return this.dnsmasqConf(device);
    },

    /** What a device points its resolver at for the zone: every lighthouse, then the extra resolvers. */
    async clientConfig(device: NodeConfigState): Promise<{ domain: string; dns_servers: string[] }> {
      const zone = await enabledZone(device);
      return { domain: zone.domain, dns_servers: zone.dnsServers };
    },
  };
}

export type DnsService = ReturnType<typeof createDnsService>;

import type { GroupFirewallInput, InboundRuleInput, PeerNodeInput } from '../config/config.types.js';
import type { NodeService, OverlayBase } from '../nodes/node.service.js';
import type { DeviceCache } from './device-cache.js';

/** What every node config of a network shares, read once per config revision rather than once per device. */
export interface NetworkPart {
  peers: PeerNodeInput[];
  groupFirewalls: GroupFirewallInput[];
  /** Every trusted CA, active first: pki.ca and ca.crt. */
  ca: string;
  blocklist: string[];
  /** When this part stops being true though nothing was changed (ms): a blocklisted certificate or a CA expires. */
  validUntil: number;
}

const KIND = 'network';

/**
 * A network's shared config inputs, cached under its config revision: after any change that bumps it, the
 * first poll of the network reads them again (four indexed queries), and every other poll reuses them.
 */
export function createNetworkParts(base: OverlayBase, nodes: NodeService, cache: DeviceCache) {
  const { core, cas } = base;
  const { db } = core;

  async function load(networkId: string): Promise<NetworkPart> {
    const [peers, firewalls, trusted, blocked] = await Promise.all([
      nodes.store.listRouting(networkId),
      db.kysely.selectFrom('overlay_group_firewalls').select(['group_name', 'inbound_rules']).where('network_id', '=', networkId).execute(),
      cas.trusted(networkId),
      nodes.certificates.blocklist(networkId),
    ]);
    const expiries = [...trusted.map((ca) => ca.not_after), ...blocked.map((cert) => cert.expires_at)];
    return {
      peers: peers.map((n) => ({ ip: n.ip_address!, is_lighthouse: db.dialect.fromBool(n.is_lighthouse), is_relay: db.dialect.fromBool(n.is_relay), public_endpoint: n.public_endpoint })),
      groupFirewalls: firewalls.map((r) => ({ group_name: r.group_name, inbound_rules: db.dialect.fromJson<InboundRuleInput[]>(r.inbound_rules) })),
      ca: trusted.map((row) => `${row.certificate_pem.trimEnd()}\n`).join(''),
      blocklist: blocked.map((cert) => cert.fingerprint),
      validUntil: expiries.reduce((soonest, at) => Math.min(soonest, Date.parse(at)), Infinity),
    };
  }

  return {
    /** The network's part as of `revision` (read from the database after the revision was). */
    async get(networkId: string, revision: number): Promise<NetworkPart> {
      const key = String(revision);
      const nowMs = core.now().getTime();
      const hit = cache.get<NetworkPart>(KIND, networkId, key, nowMs);
      if (hit) return hit;
      const part = await load(networkId);
      cache.set(KIND, networkId, key, part.validUntil, part);
      return part;
    },
  };
}

export type NetworkParts = ReturnType<typeof createNetworkParts>;

import { createHash } from 'node:crypto';
import { errors } from '../../../core/errors.js';
import { buildNodeConfig, renderConfig } from '../config/build-config.js';
import type { GroupFirewallInput, InboundRuleInput } from '../config/config.types.js';
import type { NodeService, OverlayBase } from '../nodes/node.service.js';
import { NODE_KEY_CONTEXT } from '../nodes/node.service.js';
import type { OverlayNodeRow } from '../overlay.tables.js';

/** Rendered configs kept in memory at most; beyond it the oldest goes. */
const MAX_CACHED = 20_000;
/** A cached config is rendered again after this, so expired certificates leave blocklists even if nothing else changes. */
const MAX_AGE_MS = 10 * 60_000;

/** What decides whether a node's cached config is still its config: read in one indexed query per poll. */
export interface NodeConfigState {
  id: string;
  network_id: string;
  status: OverlayNodeRow['status'];
  last_seen_at: string | null;
  first_polled_at: string | null;
  updated_at: string;
  device_token_version: number;
  config_revision: number;
}

export interface RenderedConfig {
  yaml: string;
  /** Quoted sha256 hex of the YAML, as the ETag header carries it. */
  etag: string;
}

interface Cached extends RenderedConfig {
  key: string;
  renderedAt: number;
}

export const noValidCertificate = () => errors.conflict('the node has no valid certificate; re-enroll');

/**
 * Nodes' config.yml. Everything that changes any node's config bumps its network's config_revision, and
 * everything that changes one node's own config its updated_at, so (config_revision, updated_at,
 * device_token_version) names a config: while it is unchanged a poll costs one read and a map lookup, on every
 * Rampart process sharing the database.
 */
export function createNodeConfigs(base: OverlayBase, nodeService: NodeService) {
  const { core, cas } = base;
  const { db } = core;
  const cache = new Map<string, Cached>();
  const keyOf = (s: NodeConfigState) => `${s.config_revision}|${s.updated_at}|${s.device_token_version}`;

  async function state(nodeId: string): Promise<NodeConfigState | undefined> {
    const row = await db.kysely
      .selectFrom('overlay_nodes as n')
      .innerJoin('overlay_networks as w', 'w.id', 'n.network_id')
      .select(['n.id', 'n.network_id', 'n.status', 'n.last_seen_at', 'n.first_polled_at', 'n.updated_at', 'n.device_token_version', 'w.config_revision'])
      .where('n.id', '=', nodeId)
      .executeTakeFirst();
    return row && { ...row, device_token_version: Number(row.device_token_version), config_revision: Number(row.config_revision) };
  }

  async function groupFirewalls(networkId: string): Promise<GroupFirewallInput[]> {
    const rows = await db.kysely.selectFrom('overlay_group_firewalls').select(['group_name', 'inbound_rules']).where('network_id', '=', networkId).execute();
    return rows.map((r) => ({ group_name: r.group_name, inbound_rules: db.dialect.fromJson<InboundRuleInput[]>(r.inbound_rules) }));
  }

  async function render(nodeId: string): Promise<RenderedConfig> {
    const node = await nodeService.store.find(nodeId);
    const current = node && node.status !== 'revoked' && node.ip_address ? await nodeService.certificates.current(node.id) : undefined;
    if (!node || !current) throw noValidCertificate();
    const [peers, groupFirewallInputs, ca, blocklist] = await Promise.all([
      nodeService.store.listRouting(node.network_id),
      groupFirewalls(node.network_id),
      nodeService.caBundle(node.network_id),
      nodeService.certificates.blocklist(node.network_id),
    ]);
    const json = <T>(v: unknown) => (v == null ? null : db.dialect.fromJson<T>(v));
    const peerOf = (n: OverlayNodeRow) => ({ ip: n.ip_address!, is_lighthouse: db.dialect.fromBool(n.is_lighthouse), is_relay: db.dialect.fromBool(n.is_relay), public_endpoint: n.public_endpoint });
    const yaml = renderConfig(
      buildNodeConfig({
        node: {
          ...peerOf(node),
          groups: db.dialect.fromJson<string[]>(node.groups),
          tun_device: node.tun_device ?? undefined,
          lighthouse_options: json(node.lighthouse_options),
          punchy_options: json(node.punchy_options),
          logging_options: json(node.logging_options),
        },
        peers: peers.map(peerOf),
        group_firewalls: groupFirewallInputs,
        pki: { ca, cert: current.certificate_pem, key: node.private_key === null ? null : core.secrets.openString(node.private_key, NODE_KEY_CONTEXT) },
        blocklist,
      }),
    );
    return { yaml, etag: `"${createHash('sha256').update(yaml).digest('hex')}"` };
  }

  return {
    state,

    /** The node's config, rendered again only when its key changed (409 when the node has no valid certificate). */
    async get(s: NodeConfigState): Promise<RenderedConfig> {
      if (s.status === 'revoked') throw noValidCertificate();
      const key = keyOf(s);
      const hit = cache.get(s.id);
      if (hit && hit.key === key && performance.now() - hit.renderedAt < MAX_AGE_MS) return hit;
      const rendered = await render(s.id);
      cache.delete(s.id);
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
      cache.set(s.id, { ...rendered, key, renderedAt: performance.now() });
      return rendered;
    },
  };
}

export type NodeConfigs = ReturnType<typeof createNodeConfigs>;

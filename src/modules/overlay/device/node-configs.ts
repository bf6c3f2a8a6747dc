import { createHash } from 'node:crypto';
import { errors } from '../../../core/errors.js';
import { buildNodeConfig, renderConfig } from '../config/build-config.js';
import type { NodeService, OverlayBase } from '../nodes/node.service.js';
import { NODE_KEY_CONTEXT } from '../nodes/node.service.js';
import type { OverlayNodeRow } from '../overlay.tables.js';
import type { DeviceCache } from './device-cache.js';
import type { NetworkParts } from './network-parts.js';

/** What decides whether a node's cached config is still its config: read in one indexed query per poll. */
export interface NodeConfigState {
  id: string;
  network_id: string;
  status: OverlayNodeRow['status'];
  ip_address: string | null;
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

/** A node's ETag alone, kept for every polling device; the YAML is kept apart (the cache's texts), while memory allows. */
const TAG = 'config-etag';
const TEXT = 'config-yaml';

export const noValidCertificate = () => errors.conflict('the node has no valid certificate; re-enroll');

/** What names a node's config: its network's config revision and its own updated_at (see createNodeConfigs). */
export const configKey = (s: NodeConfigState) => `${s.config_revision}|${s.updated_at}`;

/**
 * Nodes' config.yml. Everything that changes any node's config bumps its network's config_revision, and
 * everything that changes one node's own config its updated_at, so (config_revision, updated_at) names a config,
 * on every Rampart process sharing the database. A poll reads that state (one indexed query); a device whose
 * ETag is still current costs a cache lookup more. A miss reads the node with its certificate (one more indexed
 * query) and renders with the network's shared part (read once per revision, see network-parts.ts).
 */
export function createNodeConfigs(base: OverlayBase, nodeService: NodeService, cache: DeviceCache, parts: NetworkParts) {
  const { core } = base;
  const { db } = core;

  async function state(nodeId: string): Promise<NodeConfigState | undefined> {
    const row = await db.kysely
      .selectFrom('overlay_nodes as n')
      .innerJoin('overlay_networks as w', 'w.id', 'n.network_id')
      .select(['n.id', 'n.network_id', 'n.status', 'n.ip_address', 'n.last_seen_at', 'n.first_polled_at', 'n.updated_at', 'n.device_token_version', 'w.config_revision'])
      .where('n.id', '=', nodeId)
      .executeTakeFirst();
    return row && { ...row, device_token_version: Number(row.device_token_version), config_revision: Number(row.config_revision) };
  }

  async function render(s: NodeConfigState): Promise<RenderedConfig & { validUntil: number }> {
    const node = s.status === 'revoked' ? undefined : await nodeService.certificates.nodeWithCurrent(s.id);
    if (!node || node.status === 'revoked' || !node.ip_address) throw noValidCertificate();
    const network = await parts.get(s.network_id, s.config_revision);
    const json = <T>(v: unknown) => (v == null ? null : db.dialect.fromJson<T>(v));
    const yaml = renderConfig(
      buildNodeConfig({
        node: {
          ip: node.ip_address,
          is_lighthouse: db.dialect.fromBool(node.is_lighthouse),
          is_relay: db.dialect.fromBool(node.is_relay),
          public_endpoint: node.public_endpoint,
          groups: db.dialect.fromJson<string[]>(node.groups),
          tun_device: node.tun_device ?? undefined,
          lighthouse_options: json(node.lighthouse_options),
          punchy_options: json(node.punchy_options),
          logging_options: json(node.logging_options),
        },
        peers: network.peers,
        group_firewalls: network.groupFirewalls,
        pki: { ca: network.ca, cert: node.certificate_pem, key: node.private_key === null ? null : core.secrets.openString(node.private_key, NODE_KEY_CONTEXT) },
        blocklist: network.blocklist,
      }),
    );
    const etag = `"${createHash('sha256').update(yaml).digest('hex')}"`;
    return { yaml, etag, validUntil: Math.min(network.validUntil, Date.parse(node.certificate_expires_at)) };
  }

  /** The node's config, rendered again only when its key changed (409 when the node has no valid certificate). */
  async function get(s: NodeConfigState): Promise<RenderedConfig> {
    if (s.status === 'revoked') throw noValidCertificate();
    const key = configKey(s);
    const nowMs = core.now().getTime();
    const text = cache.texts.get<RenderedConfig>(TEXT, s.id, key, nowMs);
    if (text) return text;
    const { validUntil, ...rendered } = await render(s);
    cache.set(TAG, s.id, key, validUntil, rendered.etag);
    cache.texts.set(TEXT, s.id, key, validUntil, rendered);
    return rendered;
  }

  return {
    state,
    get,

    /** The config's ETag: what a 304 needs, without the YAML when the tag is still remembered. */
    async etag(s: NodeConfigState): Promise<string> {
      const tag = s.status === 'revoked' ? undefined : cache.get<string>(TAG, s.id, configKey(s), core.now().getTime());
      return tag ?? (await get(s)).etag;
    },
  };
}

export type NodeConfigs = ReturnType<typeof createNodeConfigs>;

import { createHash } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import type { AccessHooks, GatewayCaller } from '../access.types.js';
import type { ChangeFeed } from './change-feed.js';
import { accessErrors } from './gateway-errors.js';
import type { GatewayService } from './gateway.service.js';
import { HEARTBEAT_INTERVAL_S, servesDevices } from './gateway-status.js';
import type { PoolService } from './pool.service.js';

export const METERING_INTERVAL_S = 60;
export const WATCH_TIMEOUT_S = 25;

/** A served artifact and its entity tag (the hash of what is served, so equal content keeps its tag). */
export interface Artifact<T = unknown> {
  etag: string;
  body: T;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
export function artifact<T>(body: T): Artifact<T> {
  return { etag: `"${sha256(JSON.stringify(body)).slice(0, 32)}"`, body };
}

export type RuntimeArtifactName = 'trust-anchors' | 'policy-bundle' | 'deployment-config' | 'spc-bundle';

/** What gateways pull (each with an ETag), and the pool directory devices choose a gateway from. */
export function createRuntimeService(core: Core, hooks: AccessHooks, pools: PoolService, gateways: GatewayService, feed: ChangeFeed) {

  async function poolOf(caller: GatewayCaller) {
    const pool = await pools.row(caller.pool_id);
    if (!pool) throw accessErrors.notFound('pool');
    return pool;
  }

  async function deploymentConfig(caller: GatewayCaller) {
    const pool = await poolOf(caller);
    const config = {
      pool_id: pool.id, gateway_id: caller.gateway_id, channel: pool.channel, listen_port: pool.listen_port, overlay_cidr: core.config.access.overlay_cidr,
      dns: core.db.dialect.fromJson<string[]>(pool.dns), mtu: pool.mtu, destinations: core.db.dialect.fromJson<string[]>(pool.destinations),
      metering_interval_s: METERING_INTERVAL_S, heartbeat_interval_s: HEARTBEAT_INTERVAL_S, watch_timeout_s: WATCH_TIMEOUT_S, log_level: 'info',
    };
    return { ...config, config_serial: sha256(JSON.stringify(config)).slice(0, 16) };
  }

  const builders: Record<RuntimeArtifactName, (caller: GatewayCaller) => Promise<unknown>> = {
    'trust-anchors': (caller) => hooks.trustAnchors(caller.tenant_id),
    'policy-bundle': async (caller) => {
      const { channel } = await poolOf(caller);
      const bundle = await hooks.channelBundle(caller.tenant_id, channel);
      if (!bundle) throw accessErrors.notFound(`a published ${channel} policy bundle`);
      return bundle;
    },
    'deployment-config': deploymentConfig,
    'spc-bundle': (caller) => hooks.spcBundle(caller.tenant_id),
  };

  async function get(name: RuntimeArtifactName, caller: GatewayCaller): Promise<Artifact> {
    return artifact(await builders[name](caller));
  }

  return {
    get,

    /** Every other runtime artifact with its hash, so a gateway re-pulls only what changed. */
    async manifest(caller: GatewayCaller): Promise<Artifact> {
      const names = Object.keys(builders) as RuntimeArtifactName[];
      const items = [];
      for (const name of names) {
        const built = await get(name, caller).catch((err) => (err.status === 404 ? null : Promise.reject(err)));
        if (built) items.push({ name, kind: 'runtime', version: built.etag.slice(1, 17), sha256: sha256(JSON.stringify(built.body)), url: `/v1/gateway/runtime/${name}` });
      }
      return artifact({ serial: await feed.current(caller.tenant_id), items });
    },

    /** GET /v1/gateway/pools: each pool with the gateways in service, for devices to pick one. */
    async directory(tenantId: string) {
      const now = core.now();
      const [poolList, all] = await Promise.all([pools.list(tenantId), gateways.rows(tenantId)]);
      return poolList.map((pool) => {
        const serving = all.map((g) => gateways.view(g, now)).filter((g) => g.pool_id === pool.id && servesDevices(g.status));
        return {
          pool_id: pool.id, name: pool.name, region: pool.region, channel: pool.channel, selection: pool.selection,
          healthy: serving.filter((g) => g.status === 'online').length >= Math.max(1, pool.min_healthy),
          endpoints: serving.map((g) => ({ gateway_id: g.id, host: g.host, port: g.port, public_key: g.public_key, admission_url: g.admission_url })),
        };
      });
    },
  };
}

export type RuntimeService = ReturnType<typeof createRuntimeService>;

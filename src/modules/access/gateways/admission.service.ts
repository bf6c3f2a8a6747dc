import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import type { AccessDestination, AccessHooks, GatewayCaller } from '../access.types.js';
import type { ChangeFeed } from './change-feed.js';
import { cidrWithin } from './cidr.js';
import { artifact, type Artifact } from './runtime.service.js';
import type { PoolService } from './pool.service.js';

/** A grant lives at most this long; gateways drop the peer at expires_at unless the device re-admits. */
export const GRANT_TTL_MS = 15 * 60_000;
const CACHE_MAX = 100_000;

export type DenyReason =
  | 'device_unknown' | 'device_revoked' | 'device_suspended' | 'device_pending' | 'public_key_mismatch'
  | 'user_suspended' | 'tenant_suspended' | 'spc_missing' | 'spc_invalid' | 'posture_noncompliant' | 'no_destinations';

export interface AdmissionGrant {
  allow: boolean;
  grant_id: string | null;
  device_id: string;
  user_id: string | null;
  group_ids: string[];
  overlay_ip: string | null;
  public_key: string | null;
  destinations: AccessDestination[];
  expires_at: string | null;
  reason: 'allowed' | DenyReason;
}

interface Cached {
  grant: AdmissionGrant;
  etag: string;
  generation: number;
  refreshAt: number;
}

/**
 * Admission grants: allow iff the device is active with this key, its user active, its posture not noncompliant, its
 * SPC valid and it may reach something through this pool. Allowed grants are cached until any access change
 * (ACCESS_CHANGED on any node) or half their life, so a gateway re-asking every device on each push is cheap and
 * gets the same grant (and ETag) back while nothing changed; denials are never cached.
 */
export function createAdmissionService(core: Core, hooks: AccessHooks, pools: PoolService, feed: ChangeFeed) {
  const cache = new Map<string, Cached>();
  let generation = 0;
  // Any change may alter a grant except a gateway coming or going (which only changes the pool directory).
  feed.onChange((change) => {
    if (change.reason === 'gateway') return;
    generation++;
    cache.clear();
  });

  const deny = (deviceId: string, reason: DenyReason, extra: Partial<AdmissionGrant> = {}): AdmissionGrant => ({
    allow: false, grant_id: null, device_id: deviceId, user_id: null, group_ids: [], overlay_ip: null, public_key: null,
    destinations: [], expires_at: null, reason, ...extra,
  });

  async function userActive(userId: string | null): Promise<boolean> {
    if (!userId) return true;
    const user = await core.identity.users.get(userId).catch(() => undefined);
    return user?.status === 'active';
  }

  /** Narrows destinations to what the pool routes (an empty pool list routes everything the policy allows). */
  function throughPool(destinations: AccessDestination[], poolDestinations: string[]): AccessDestination[] {
    if (poolDestinations.length === 0) return destinations;
    return destinations.filter((d) => poolDestinations.some((p) => cidrWithin(d.cidr, p)));
  }

  /** The decision itself, without the cache. publicKey undefined skips the key check (connection_truth). */
  async function evaluate(deviceId: string, publicKey: string | undefined, poolId: string | null, tenantId?: string): Promise<AdmissionGrant> {
    const device = await hooks.device(deviceId);
    // Another tenant's device is unknown to this tenant's gateways.
    if (!device || (tenantId !== undefined && device.tenant_id !== tenantId)) return deny(deviceId, 'device_unknown');
    const who = { user_id: device.user_id, overlay_ip: device.overlay_ip, public_key: device.public_key };
    if (device.status !== 'active') return deny(deviceId, `device_${device.status}`, who);
    if (publicKey !== undefined && publicKey !== device.public_key) return deny(deviceId, 'public_key_mismatch', who);
    if (!(await hooks.tenantActive(device.tenant_id))) return deny(deviceId, 'tenant_suspended', who);
    if (!(await userActive(device.user_id))) return deny(deviceId, 'user_suspended', who);
    const [spc, posture, groupIds, allowed, pool] = await Promise.all([
      hooks.spcStatus(device.tenant_id, deviceId), hooks.posture(deviceId), hooks.deviceGroups(deviceId), hooks.allowedDestinations(deviceId), poolId ? pools.row(poolId) : undefined,
    ]);
    // Posture first: a failed check also revokes the SPC, and the posture is the reason worth telling.
    if (posture.verdict === 'noncompliant') return deny(deviceId, 'posture_noncompliant', who);
    if (!spc) return deny(deviceId, 'spc_missing', who);
    const now = core.now().getTime();
    if (!spc.valid || new Date(spc.expires_at).getTime() <= now) return deny(deviceId, 'spc_invalid', who);
    const destinations = throughPool(allowed, pool ? core.db.dialect.fromJson<string[]>(pool.destinations) : []);
    if (destinations.length === 0) return deny(deviceId, 'no_destinations', { ...who, group_ids: groupIds });
    const expires = Math.min(new Date(spc.expires_at).getTime(), now + GRANT_TTL_MS);
    return {
      allow: true, grant_id: randomUUID(), device_id: deviceId, ...who, group_ids: groupIds, destinations,
      expires_at: new Date(expires).toISOString(), reason: 'allowed',
    };
  }

  return {
    evaluate,

    /** The grant a gateway asks for when a device presents itself with this key, with its entity tag. */
    async grant(caller: GatewayCaller, deviceId: string, publicKey: string): Promise<Artifact<AdmissionGrant>> {
      const key = `${caller.pool_id}|${deviceId}|${publicKey}`;
      const now = core.now().getTime();
      const hit = cache.get(key);
      if (hit && hit.generation === generation && now < hit.refreshAt) return { etag: hit.etag, body: hit.grant };
      const startedAt = generation;
      const served = artifact(await evaluate(deviceId, publicKey, caller.pool_id, caller.tenant_id));
      const grant = served.body;
      if (grant.allow && startedAt === generation) {
        if (cache.size >= CACHE_MAX) cache.clear();
        const expires = new Date(grant.expires_at!).getTime();
        cache.set(key, { grant, etag: served.etag, generation: startedAt, refreshAt: now + (expires - now) / 2 });
      }
      return served;
    },
  };
}

export type AdmissionService = ReturnType<typeof createAdmissionService>;

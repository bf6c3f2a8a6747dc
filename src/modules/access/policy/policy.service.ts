import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { ACCESS_CHANGED, type AccessChange, type AccessDestination, type AccessDevice, type AccessHooks, type Channel } from '../access.types.js';
import { createBundleService, type BundleView } from './bundles.service.js';
import { createSignerService } from './signers.service.js';
import { createSpcService, SPC_DEFAULT_TTL_S } from './spc.service.js';
import { createPostureService, RECHECK_AFTER_S } from './posture.service.js';
import { destinationsFor, policyFor } from './policy-for.js';
import type { PostureRequirements } from './bundle.model.js';
import type { PostureFacts } from './posture-checks.js';

/** How long a polling device's groups are kept, and how many devices' at most. */
const GROUP_CACHE_MS = 2_000;
const GROUP_CACHE_MAX = 100_000;

const NO_REQUIREMENTS: PostureRequirements = { required: [], min_client_version: null, min_os_version: {} };

/** A bundle as a device gets it: no canary membership lists, no publisher. */
export function deviceBundleView(b: BundleView, channel: Channel) {
  return { id: b.id, serial: b.serial, digest: b.digest, channel, default_action: b.default_action, posture: b.posture, rules: b.rules, kid: b.kid, signature: b.signature, published_at: b.published_at };
}

/**
 * The policy part: bundles, signers and trust anchors, SPCs and posture, and what they decide together (which
 * bundle a device gets, what it may reach). Devices come from the enrollment part through the hooks.
 */
export function createPolicyService(core: Core, hooks: AccessHooks) {
  const signers = createSignerService(core);
  const bundles = createBundleService(core, signers);
  const spcs = createSpcService(core, signers);
  const posture = createPostureService(core);

  const announce = (change: AccessChange) => core.events.publish<AccessChange>(ACCESS_CHANGED, change);

  function requireActive(device: AccessDevice): void {
    if (device.status !== 'active') throw errors.forbidden(`device is ${device.status}`);
  }

  async function served(device: AccessDevice) {
    const [live, groups] = await Promise.all([bundles.live(device.tenant_id), hooks.deviceGroups(device.id)]);
    return { served: policyFor(live, device, groups), groups };
  }

  /**
   * Which bundle the device gets (the polling path): its groups are asked for only when a canary selects by group,
   * and kept a couple of seconds, so a device polling its digest costs no group queries. Only canary membership
   * reads them: what the device may reach (allowedDestinations) always asks afresh.
   */
  const groupCache = new Map<string, { groups: string[]; until: number }>();
  core.events.subscribe(ACCESS_CHANGED, () => groupCache.clear());
  async function pollingGroups(deviceId: string): Promise<string[]> {
    const now = Date.now();
    const hit = groupCache.get(deviceId);
    if (hit && hit.until > now) return hit.groups;
    const groups = await hooks.deviceGroups(deviceId);
    if (groupCache.size >= GROUP_CACHE_MAX) groupCache.clear();
    groupCache.set(deviceId, { groups, until: now + GROUP_CACHE_MS });
    return groups;
  }

  async function servedBundle(device: AccessDevice) {
    const live = await bundles.live(device.tenant_id);
    const needsGroups = device.channel !== 'canary' && (live.canary?.canary?.group_ids.length ?? 0) > 0;
    return policyFor(live, device, needsGroups ? await pollingGroups(device.id) : []);
  }

  /** The live bundle the device is served and its channel, as cached (no copy: the digest poll reads a few fields). */
  async function servedLive(device: AccessDevice) {
    const s = await servedBundle(device);
    if (!s) throw errors.notFound('no policy bundle has been published');
    return s;
  }

  async function deviceBundle(device: AccessDevice) {
    const s = await servedLive(device);
    return deviceBundleView(s.bundle, s.channel);
  }

  async function issueSpc(device: AccessDevice, ttlSeconds = SPC_DEFAULT_TTL_S) {
    requireActive(device);
    const [p, { served: s, groups }] = await Promise.all([posture.get(device.id), served(device)]);
    if (p.verdict === 'noncompliant') throw errors.forbidden(`posture is noncompliant (${p.failed_checks.join(', ')})`);
    const issued = await spcs.issue({ device, group_ids: groups, posture_verdict: p.verdict, policy_digest: s?.bundle.digest ?? null, channel: s?.channel ?? device.channel }, ttlSeconds);
    return { spc: issued.spc, serial: issued.serial, expires_at: issued.expires_at, kid: issued.kid };
  }

  async function rotateSpc(device: AccessDevice, ttlSeconds?: number) {
    requireActive(device);
    return core.db.transaction(async () => {
      await spcs.supersede(device.tenant_id, device.id);
      return issueSpc(device, ttlSeconds);
    });
  }

  /** Revokes SPCs of devices and tells the gateways (reason spc). */
  async function revokeSpcs(deviceIds: string[], reason: string): Promise<number> {
    const { count, tenants } = await spcs.revokeDevices(deviceIds, reason);
    for (const t of tenants) await announce({ tenant_id: t, reason: 'spc', device_ids: deviceIds });
    return count;
  }

  async function revokeSerial(tenantId: string, serial: number, reason: string) {
    await spcs.revokeSerial(tenantId, serial, reason);
    const row = await core.db.kysely.selectFrom('access_spcs').select('device_id').where('tenant_id', '=', tenantId).where('serial', '=', serial).executeTakeFirstOrThrow();
    await announce({ tenant_id: tenantId, reason: 'spc', device_ids: [row.device_id] });
    return { revoked: [serial] };
  }

  async function revokeDevice(tenantId: string, deviceId: string, reason: string) {
    const device = await hooks.device(deviceId);
    if (!device || device.tenant_id !== tenantId) throw errors.notFound(`device ${deviceId} not found`);
    const before = await spcs.forDevice(tenantId, deviceId);
    const count = await revokeSpcs([deviceId], reason);
    const live = before.filter((r) => r.status !== 'revoked' && r.expires_at > core.now().toISOString());
    return { revoked: live.slice(0, count).map((r) => Number(r.serial)) };
  }

  /**
   * Judges an assertion against the device's bundle. Turning noncompliant revokes its SPCs; any verdict change is
   * announced (reason posture) so gateways re-ask its grants; compliant again lets it get a new SPC.
   */
  async function assertPosture(device: AccessDevice, facts: PostureFacts, collectedAt: string | null) {
    requireActive(device);
    const { served: s } = await served(device);
    const result = await posture.assert(device, facts, collectedAt, s?.bundle.posture ?? NO_REQUIREMENTS);
    if (result.verdict !== result.previous) {
      if (result.verdict === 'noncompliant') await spcs.revokeDevices([device.id], 'posture');
      await announce({ tenant_id: device.tenant_id, reason: 'posture', device_ids: [device.id] });
    }
    return { verdict: result.verdict, failed_checks: result.failed_checks, recheck_after: RECHECK_AFTER_S };
  }

  async function allowedDestinations(deviceId: string): Promise<AccessDestination[]> {
    const device = await hooks.device(deviceId);
    if (!device || device.status !== 'active') return [];
    const [{ served: s, groups }, p] = await Promise.all([served(device), posture.get(deviceId)]);
    if (!s || p.verdict === 'noncompliant') return [];
    return destinationsFor(s.bundle, device, groups, posture.passes(p, s.bundle.posture, device.platform));
  }

  /** POST /v1/trust/anchors/rotate: a new active signer; live bundles re-signed by it. */
  async function rotateAnchors(tenantId: string, overlapSeconds: number) {
    const rotated = await signers.rotate(tenantId, overlapSeconds, spcs.latestExpiry);
    await bundles.resign(tenantId);
    await announce({ tenant_id: tenantId, reason: 'signer' });
    return { ...rotated, ...(await signers.anchors(tenantId)) };
  }

  /** The enroll response's policy fields: anchors, a first SPC when the device may have one, its bundle digest. */
  async function enrollmentPolicy(device: AccessDevice): Promise<Record<string, unknown>> {
    const { served: s } = await served(device);
    const p = await posture.get(device.id);
    const spc = device.status === 'active' && p.verdict !== 'noncompliant' ? await issueSpc(device) : null;
    return { trust_anchors: await signers.anchors(device.tenant_id), spc, policy_digest: s?.bundle.digest ?? null };
  }

  async function channelBundle(tenantId: string, channel: Channel) {
    const live = await bundles.live(tenantId);
    const b = channel === 'canary' ? (live.canary ?? live.stable) : live.stable;
    return b && deviceBundleView(b, b.channel);
  }

  return {
    signers,
    bundles,
    spcs,
    posture,
    requireActive,
    servedLive,
    deviceBundle,
    issueSpc,
    rotateSpc,
    revokeSpcs,
    revokeSerial,
    revokeDevice,
    assertPosture,
    allowedDestinations,
    rotateAnchors,
    enrollmentPolicy,
    channelBundle,
  };
}

export type PolicyService = ReturnType<typeof createPolicyService>;

/** Fills the hooks the policy part provides. */
export function providePolicyHooks(hooks: AccessHooks, policy: PolicyService): void {
  hooks.posture = async (deviceId) => {
    const { facts: _facts, ...p } = await policy.posture.get(deviceId);
    return p;
  };
  hooks.enrollmentPolicy = (device) => policy.enrollmentPolicy(device);
  hooks.revokeSpcs = async (deviceIds, reason) => void (await policy.revokeSpcs(deviceIds, reason));
  hooks.allowedDestinations = (deviceId) => policy.allowedDestinations(deviceId);
  hooks.trustAnchors = (tenantId) => policy.signers.anchors(tenantId) as Promise<unknown> as Promise<Record<string, unknown>>;
  hooks.spcBundle = (tenantId) => policy.spcs.bundle(tenantId);
  hooks.channelBundle = (tenantId, channel) => policy.channelBundle(tenantId, channel);
  hooks.validateSpc = (spc) => policy.spcs.validate(null, spc);
  hooks.spcStatus = (tenantId, deviceId) => policy.spcs.status(tenantId, deviceId);
}

import { createHash } from 'node:crypto';
import type { AccessDestination, AccessDevice, Channel } from '../access.types.js';
import type { BundleView, LiveBundles } from './bundles.service.js';
import type { CanarySelector, PostureCheck, Rule } from './bundle.model.js';

/** A stable 0-99 bucket per device, so raising a canary's percent only ever adds devices. */
export function canaryBucket(deviceId: string): number {
  return createHash('sha256').update(deviceId).digest().readUInt32BE(0) % 100;
}

export function inCanary(device: Pick<AccessDevice, 'id' | 'channel'>, groupIds: string[], canary: CanarySelector | null): boolean {
  if (device.channel === 'canary') return true;
  if (!canary) return false;
  if (canary.device_ids.includes(device.id)) return true;
  if (canary.group_ids.some((g) => groupIds.includes(g))) return true;
  return canaryBucket(device.id) < canary.percent;
}

/** The bundle a device is served: the live canary when it is in the canary's subset, else the live stable one. */
export function policyFor(live: LiveBundles, device: Pick<AccessDevice, 'id' | 'channel'>, groupIds: string[]): { channel: Channel; bundle: BundleView } | undefined {
  if (live.canary && inCanary(device, groupIds, live.canary.canary)) return { channel: 'canary', bundle: live.canary };
  if (live.stable) return { channel: 'stable', bundle: live.stable };
  return undefined;
}

function sourceMatches(rule: Rule, device: Pick<AccessDevice, 'id' | 'user_id'>, groupIds: string[]): boolean {
  const s = rule.sources;
  return s.device_ids.includes(device.id) || (device.user_id !== null && s.user_ids.includes(device.user_id)) || s.group_ids.some((g) => groupIds.includes(g));
}

const key = (d: AccessDestination) => `${d.cidr}|${d.protocol}|${d.ports.join(',')}`;

/**
 * What a device may reach under a bundle: default deny; rules apply in priority order (lowest first) when enabled,
 * their sources name the device, its user or one of its groups, and every posture check they require passes. A
 * deny rule removes the identical destinations (same cidr, protocol and ports) of allow rules after it. Domain
 * destinations are left to resolvers on the gateway side and not returned here.
 */
export function destinationsFor(bundle: BundleView, device: Pick<AccessDevice, 'id' | 'user_id'>, groupIds: string[], passed: (check: PostureCheck) => boolean): AccessDestination[] {
  const denied = new Set<string>();
  const allowed = new Map<string, AccessDestination>();
  for (const rule of bundle.rules) {
    if (!rule.enabled || !sourceMatches(rule, device, groupIds)) continue;
    if (!rule.require_posture.every(passed)) continue;
    for (const d of rule.destinations) {
      if (d.cidr === undefined) continue;
      const dest: AccessDestination = { cidr: d.cidr.includes('/') ? d.cidr : `${d.cidr}/${d.cidr.includes(':') ? 128 : 32}`, protocol: d.protocol, ports: d.ports };
      const k = key(dest);
      if (rule.action === 'deny') denied.add(k);
      else if (!denied.has(k) && !allowed.has(k)) allowed.set(k, dest);
    }
  }
  return [...allowed.values()];
}

import type { Core } from '../../../core/index.js';
import { ACCESS_CHANGED, type AccessHooks } from '../access.types.js';
import { createDeviceCredentialCache } from '../common/device-credential-cache.js';
import { hashSecret } from '../common/secrets.js';
import { createCallers } from '../common/caller.js';
import { createDeviceService } from './device.service.js';
import { toAccessDevice } from './device.types.js';
import { createEnrollService } from './enroll.service.js';
import { enrollmentHooks } from './enrollment.hooks.js';
import { createTokenService } from './token.service.js';
import { createSamlProviderService } from './saml-provider.service.js';
import { followUserChanges } from './user-changes.js';

const SEEN_RESOLUTION_MS = 60_000;

/** The enrollment part, built once per core: its services, the hooks it fills, and the bearer resolution. */
export function createEnrollmentPart(core: Core, hooks: AccessHooks) {
  const tokens = createTokenService(core);
  const devices = createDeviceService(core, hooks);
  const enroll = createEnrollService(core, tokens, devices, hooks);
  const saml = createSamlProviderService(core);
  Object.assign(hooks, enrollmentHooks(core, tokens));
  const cache = createDeviceCredentialCache(core.now);
  core.events.subscribe(ACCESS_CHANGED, () => cache.clear());
  devices.onChange(() => cache.clear());
  const deviceByToken = async (secret: string) => {
    // Keyed by the token itself: hashing it was most of a hit's cost. Only the memory of this process holds it, as
    // every request carrying it does, and for seconds at most; the database keeps the hash alone.
    const hit = cache.get(secret);
    if (hit) return hit;
    const stamp = cache.stamp();
    const row = await devices.byHash(hashSecret(secret));
    if (!row) return undefined;
    // last_seen_at is kept to the minute: a write per device request would make every read a write.
    if (core.now().getTime() - Date.parse(row.last_seen_at ?? '1970-01-01T00:00:00Z') > SEEN_RESOLUTION_MS) await devices.touch(row.id);
    const device = toAccessDevice(row);
    cache.set(secret, device, stamp);
    return device;
  };
  const callers = createCallers({ core, hooks, deviceByToken, cachedDevice: (secret) => cache.get(secret) });
  followUserChanges(core, devices, hooks);
  hooks.revokeUserDevices = async (userId, reason) => {
    const live = await devices.liveOfUser(userId);
    for (const d of live) await devices.lifecycle({ action: 'revoke', device_id: d.id, reason });
    return live.length;
  };
  return { tokens, devices, enroll, saml, callers };
}

export type EnrollmentPart = ReturnType<typeof createEnrollmentPart>;

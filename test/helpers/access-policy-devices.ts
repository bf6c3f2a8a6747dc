import { accessServices } from '../../src/modules/access/access.services.js';
import type { AccessDevice } from '../../src/modules/access/access.types.js';
import { enroll, generateToken } from './access-enroll.js';
import type { TestRampart } from './app.js';
import type { SignedIn } from './identity.js';

export interface TestDevice {
  device: AccessDevice;
  headers: { authorization: string };
  /** What POST /v1/enroll answered (trust_anchors, spc, policy_digest come from the policy part). */
  enrolled: Record<string, any>;
}

/**
 * Devices for the policy part's tests, enrolled through the real API: a token carrying the groups, bound user
 * and channel asked for, then POST /v1/enroll. `admin` needs access_token:write and access_device:write.
 */
export function testDevices(r: TestRampart, admin: () => SignedIn) {
  async function add(opts: { groups?: string[]; user_id?: string; channel?: 'canary' | 'stable' } = {}): Promise<TestDevice> {
    const token = await generateToken(r, admin(), {
      auto_group_ids: opts.groups ?? [],
      ...(opts.user_id ? { bound_user_id: opts.user_id } : {}),
      ...(opts.channel ? { channel: opts.channel } : {}),
    });
    const res = await enroll(r, token.secret);
    if (res.statusCode !== 201) throw new Error(`enroll answered ${res.statusCode}: ${res.body}`);
    const enrolled = res.json();
    const device = await accessServices(r.core).hooks.device(enrolled.device_id);
    if (!device) throw new Error('the enrolled device is not found');
    return { device, headers: { authorization: `Bearer ${enrolled.device_token}` }, enrolled };
  }

  /** A lifecycle action through the admin API (suspend, reactivate, revoke, set_channel). */
  async function lifecycle(d: TestDevice, action: string, extra: Record<string, unknown> = {}): Promise<void> {
    const res = await r.app.inject({ method: 'POST', url: '/v1/admin/devices/lifecycle', headers: admin().headers, payload: { action, device_id: d.device.id, ...extra } });
    if (res.statusCode !== 200) throw new Error(`lifecycle ${action} answered ${res.statusCode}: ${res.body}`);
  }

  return { add, lifecycle };
}

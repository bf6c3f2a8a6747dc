import { randomBytes, randomUUID } from 'node:crypto';
import { accessServices } from '../../src/modules/access/access.services.js';
import { DEFAULT_TENANT_ID, type AccessDevice } from '../../src/modules/access/access.types.js';
import type { TestRampart } from './app.js';

export interface TestDevice {
  device: AccessDevice;
  groups: string[];
  headers: { authorization: string };
}

/**
 * Devices for the policy part's tests, held in memory and served through the hooks the enrollment part fills in
 * the full build (device, deviceGroups, authenticateDevice), so these tests need no enrollment tables.
 */
export function testDevices(r: TestRampart) {
  const byId = new Map<string, TestDevice>();
  const byToken = new Map<string, TestDevice>();
  const hooks = accessServices(r.core).hooks;
  hooks.device = async (id) => byId.get(id)?.device;
  hooks.deviceGroups = async (id) => byId.get(id)?.groups ?? [];
  hooks.authenticateDevice = async (authorization) => byToken.get(authorization ?? '')?.device;

  function add(opts: { groups?: string[]; user_id?: string | null; channel?: 'canary' | 'stable'; platform?: string } = {}): TestDevice {
    const token = `dev_${randomBytes(16).toString('hex')}`;
    const device: AccessDevice = {
      id: randomUUID(),
      tenant_id: DEFAULT_TENANT_ID,
      user_id: opts.user_id === undefined ? randomUUID() : opts.user_id,
      name: `device-${byId.size + 1}`,
      platform: opts.platform ?? 'linux',
      public_key: randomBytes(32).toString('base64'),
      overlay_ip: `100.96.0.${byId.size + 2}`,
      status: 'active',
      channel: opts.channel ?? 'stable',
    };
    const entry: TestDevice = { device, groups: opts.groups ?? [], headers: { authorization: `Bearer ${token}` } };
    byId.set(device.id, entry);
    byToken.set(entry.headers.authorization, entry);
    return entry;
  }

  return { add };
}

import { randomBytes, randomUUID } from 'node:crypto';
import { errors } from '../../src/core/errors.js';
import { accessServices } from '../../src/modules/access/access.services.js';
import { ACCESS_CHANGED, DEFAULT_TENANT_ID, type AccessChange, type AccessDestination, type AccessDevice, type DevicePosture, type CurrentSpc } from '../../src/modules/access/access.types.js';
import type { TestRampart } from './app.js';

export const wgKey = () => randomBytes(32).toString('base64');

/**
 * The per-device facts the gateways part reads through AccessHooks from the enrollment and policy parts, held here
 * so a test sets them directly (device status, SPC, posture, allowed destinations, gateway tokens); the tenant-wide
 * ones (trust anchors, revocation set, channel bundles) stay the policy part's real answers. Changing a fact is
 * followed by ACCESS_CHANGED, as the owning part publishes it.
 */
export function accessWorld(r: TestRampart) {
  const hooks = accessServices(r.core).hooks;
  const devices = new Map<string, AccessDevice>();
  const spcs = new Map<string, CurrentSpc | null>();
  const postures = new Map<string, DevicePosture>();
  const destinations = new Map<string, AccessDestination[]>();
  const groups = new Map<string, string[]>();
  const deviceTokens = new Map<string, string>();
  const tokens = new Map<string, { kind: 'device' | 'gateway'; pool_id: string | null; used: boolean; id: string }>();

  hooks.device = async (id) => devices.get(id);
  hooks.deviceGroups = async (id) => groups.get(id) ?? [];
  hooks.posture = async (id) => postures.get(id) ?? { verdict: 'unknown', failed_checks: [], checked_at: null };
  hooks.spcStatus = async (_tenantId, id) => spcs.get(id) ?? null;
  hooks.allowedDestinations = async (id) => destinations.get(id) ?? [];
  hooks.authenticateDevice = async (authorization) => {
    const id = deviceTokens.get(/^Bearer (\S+)$/.exec(authorization ?? '')?.[1] ?? '');
    return id ? devices.get(id) : undefined;
  };
  hooks.redeemGatewayToken = async (secret) => {
    const token = tokens.get(secret);
    if (!token) throw errors.unauthorized('unknown enrollment token');
    if (token.used) throw errors.forbidden('the enrollment token is used up');
    token.used = true;
    return { token_id: token.id, tenant_id: DEFAULT_TENANT_ID, kind: token.kind, bound_user_id: null, auto_group_ids: [], pool_id: token.pool_id, channel: null };
  };

  const changed = (change: Omit<AccessChange, 'tenant_id'>) => r.core.events.publish<AccessChange>(ACCESS_CHANGED, { tenant_id: DEFAULT_TENANT_ID, ...change });

  return {
    hooks,
    changed,
    gatewayToken(poolId: string | null, kind: 'device' | 'gateway' = 'gateway'): string {
      const secret = `ret_${randomBytes(16).toString('hex')}`;
      tokens.set(secret, { kind, pool_id: poolId, used: false, id: randomUUID() });
      return secret;
    },
    /** An active device with a valid SPC for a day, compliant posture and one allowed destination. */
    device(opts: { user_id?: string | null; spcExpiresAt?: Date } = {}): AccessDevice {
      const device: AccessDevice = {
        id: randomUUID(), tenant_id: DEFAULT_TENANT_ID, user_id: opts.user_id ?? null, name: 'laptop', platform: 'linux',
        public_key: wgKey(), overlay_ip: `100.96.0.${devices.size + 2}`, status: 'active', channel: 'stable',
      };
      devices.set(device.id, device);
      spcs.set(device.id, { serial: randomUUID(), expires_at: (opts.spcExpiresAt ?? new Date(Date.now() + 86_400_000)).toISOString(), valid: true });
      postures.set(device.id, { verdict: 'compliant', failed_checks: [], checked_at: new Date().toISOString() });
      destinations.set(device.id, [{ cidr: '10.233.1.0/24', protocol: 'tcp', ports: ['8080'] }]);
      groups.set(device.id, ['eng']);
      return device;
    },
    /** A device bearer credential for the device (the enrollment part issues them at enroll). */
    deviceToken(id: string): string {
      const secret = `rdv_${randomBytes(16).toString('hex')}`;
      deviceTokens.set(secret, id);
      return secret;
    },
    async setDevice(id: string, patch: Partial<AccessDevice>) {
      devices.set(id, { ...devices.get(id)!, ...patch });
      await changed({ reason: 'device', device_ids: [id] });
    },
    async setSpc(id: string, spc: CurrentSpc | null) {
      spcs.set(id, spc);
      await changed({ reason: 'spc', device_ids: [id] });
    },
    async setPosture(id: string, verdict: DevicePosture['verdict']) {
      postures.set(id, { verdict, failed_checks: verdict === 'noncompliant' ? ['disk_encrypted'] : [], checked_at: new Date().toISOString() });
      await changed({ reason: 'posture', device_ids: [id] });
    },
    async setDestinations(id: string, list: AccessDestination[]) {
      destinations.set(id, list);
      await changed({ reason: 'bundle' });
    },
  };
}

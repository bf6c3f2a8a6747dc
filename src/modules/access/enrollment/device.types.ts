import { z } from 'zod';
import type { AccessDevice } from '../access.types.js';
import type { AccessDeviceRow } from './enrollment.tables.js';

export const PLATFORMS = ['windows', 'macos', 'linux', 'ios', 'android'] as const;
export const DEVICE_STATUSES = ['pending', 'active', 'suspended', 'revoked'] as const;
export const CHANNELS = ['canary', 'stable'] as const;
export const LIFECYCLE_ACTIONS = ['approve', 'suspend', 'reactivate', 'revoke', 'set_channel'] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

export const deviceView = z.object({
  id: z.string(),
  tenant_id: z.string(),
  user_id: z.string().nullable(),
  name: z.string(),
  platform: z.string(),
  os_version: z.string().nullable(),
  client_version: z.string().nullable(),
  serial_number: z.string().nullable(),
  public_key: z.string(),
  overlay_ip: z.string(),
  status: z.enum(DEVICE_STATUSES),
  status_reason: z.string().nullable(),
  channel: z.enum(CHANNELS),
  enrolled_via: z.enum(['token', 'oidc', 'saml']),
  enrollment_token_id: z.string().nullable(),
  auto_group_ids: z.array(z.string()),
  posture: z.object({ verdict: z.enum(['compliant', 'noncompliant', 'unknown']), failed_checks: z.array(z.string()), checked_at: z.string().nullable() }),
  created_at: z.string(),
  updated_at: z.string(),
  last_seen_at: z.string().nullable(),
  suspended_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
export type DeviceView = z.infer<typeof deviceView>;

export function toAccessDevice(row: AccessDeviceRow): AccessDevice {
  return {
    id: row.id, tenant_id: row.tenant_id, user_id: row.user_id, name: row.name, platform: row.platform, public_key: row.public_key,
    overlay_ip: row.overlay_ip, status: row.status, channel: row.channel,
  };
}

/** What a device tells about itself at enrollment. */
export const deviceInfo = z.object({
  name: z.string().trim().min(1).max(128),
  platform: z.enum(PLATFORMS),
  os_version: z.string().max(128).optional(),
  client_version: z.string().max(64).optional(),
  serial_number: z.string().max(128).optional(),
});
export type DeviceInfo = z.infer<typeof deviceInfo>;

/** A WireGuard public key: 32 bytes, standard base64 (44 characters ending in '='). */
export const wireguardKey = z
  .string()
  .regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'public_key must be a WireGuard public key (32 bytes, base64)');

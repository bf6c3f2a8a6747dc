import { z } from 'zod';
import { pageQueryFields } from '../common/cursor.js';
import { isDestination } from './cidr.js';

/** Request shapes of the gateways part's routes, shared by the routes and the OpenAPI document. */
export const uuid = z.string().uuid();
export const idParam = z.object({ id: uuid });
const iso = z.string().datetime({ offset: true });
const ip = z.union([z.ipv4(), z.ipv6()]);
const wgKey = z.string().regex(/^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/, 'a WireGuard public key (32 bytes, base64)');
const destination = z.string().min(1).max(253).refine(isDestination, 'a CIDR, an IP address or a host name');

export const poolBody = z.object({
  id: uuid.optional(),
  name: z.string().trim().min(1).max(100),
  region: z.string().trim().min(1).max(100),
  selection: z.enum(['latency', 'round_robin', 'sticky']).optional(),
  destinations: z.array(destination).max(256).optional(),
  min_healthy: z.number().int().min(0).max(1000).optional(),
  channel: z.enum(['canary', 'stable']).optional(),
  listen_port: z.number().int().min(1).max(65535).optional(),
  mtu: z.number().int().min(1280).max(9000).optional(),
  dns: z.array(ip).max(8).optional(),
});

export const gatewayEnrollBody = z.object({
  token: z.string().min(1).max(512),
  public_key: wgKey,
  endpoint: z.string().min(3).max(300),
  name: z.string().trim().min(1).max(100),
  admission_url: z.string().url().max(500).refine((u) => /^https?:\/\//.test(u), 'an http(s) URL').optional(),
  version: z.string().max(64).optional(),
  max_sessions: z.number().int().min(1).max(1_000_000).optional(),
});

export const heartbeatBody = z
  .object({ status: z.enum(['ok', 'degraded']).optional(), version: z.string().max(64).optional(), active_sessions: z.number().int().min(0).max(10_000_000).optional() })
  .default({});

export const grantQuery = z.object({ device_id: uuid, public_key: wgKey });

export const watchQuery = z.object({
  since: z.string().regex(/^\d{1,15}$/, 'since is a serial (a whole number)').transform(Number).optional(),
  /** How long to wait for a change; 25 s unless a shorter wait is asked for. */
  timeout_s: z.string().regex(/^\d{1,2}$/).transform(Number).pipe(z.number().int().min(1).max(55)).optional(),
});

const bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const meteringBody = z.object({
  gateway_id: uuid.optional(),
  window_start: iso,
  window_end: iso,
  active_sessions: z.number().int().min(0).max(10_000_000),
  sessions: z
    .array(z.object({ session_id: uuid, device_id: uuid, bytes_rx: bytes, bytes_tx: bytes, started_at: iso, ended_at: iso.nullable().optional(), client_ip: ip.nullable().optional() }))
    .max(10_000),
});

export const telemetryBody = z.object({
  session_id: uuid,
  gateway_id: uuid,
  rtt_ms: z.number().min(0).max(600_000).optional(),
  loss_pct: z.number().min(0).max(100).optional(),
  bytes_rx: bytes.optional(),
  bytes_tx: bytes.optional(),
});

export const sessionQuery = z.object({
  state: z.enum(['active', 'closed']).optional(),
  device_id: uuid.optional(),
  user_id: z.string().max(64).optional(),
  gateway_id: uuid.optional(),
  ...pageQueryFields,
});

import { z } from 'zod';

/**
 * Response shapes of the gateways part's routes, for the OpenAPI document (and so the console's generated types).
 * They restate what the services answer (PoolView, GatewayView, SessionView, TruthItem, the runtime artifacts).
 */
const channel = z.enum(['canary', 'stable']);
const gatewayStatus = z.enum(['pending', 'online', 'degraded', 'offline']);

export const poolView = z.object({
  id: z.string(),
  tenant_id: z.string(),
  name: z.string(),
  region: z.string(),
  selection: z.enum(['latency', 'round_robin', 'sticky']),
  destinations: z.array(z.string()),
  min_healthy: z.number(),
  channel,
  listen_port: z.number(),
  mtu: z.number(),
  dns: z.array(z.string()),
  gateway_count: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const gatewayView = z.object({
  id: z.string(),
  pool_id: z.string(),
  name: z.string(),
  public_key: z.string(),
  endpoint: z.string(),
  host: z.string(),
  port: z.number(),
  admission_url: z.string().nullable(),
  status: gatewayStatus,
  version: z.string().nullable(),
  max_sessions: z.number().nullable(),
  active_sessions: z.number(),
  last_heartbeat_at: z.string().nullable(),
  token_prefix: z.string(),
  created_at: z.string(),
});

export const gatewayHealth = z.object({
  generated_at: z.string(),
  pools: z.array(
    z.object({ pool_id: z.string(), name: z.string(), region: z.string(), healthy: z.number(), total: z.number(), min_healthy: z.number(), ok: z.boolean() }),
  ),
  gateways: z.array(gatewayView),
});

export const sessionView = z.object({
  id: z.string(),
  device_id: z.string(),
  user_id: z.string().nullable(),
  gateway_id: z.string(),
  pool_id: z.string(),
  client_ip: z.string().nullable(),
  overlay_ip: z.string().nullable(),
  state: z.enum(['active', 'closed']),
  started_at: z.string(),
  last_seen_at: z.string(),
  bytes_rx: z.number(),
  bytes_tx: z.number(),
  closed_reason: z.string().nullable(),
  closed_at: z.string().nullable(),
  reported_active: z.boolean(),
  rtt_ms: z.number().nullable(),
  loss_pct: z.number().nullable(),
});

export const sessionPage = z.object({ items: z.array(sessionView), next_cursor: z.string().nullable() });

const truthVerdict = z.enum(['consistent', 'ghost_session', 'missing_session', 'revoked_but_connected']);
export const connectionTruth = z.object({
  generated_at: z.string(),
  summary: z.record(truthVerdict, z.number()),
  alerts: z.number(),
  items: z.array(
    z.object({
      session_id: z.string(),
      device_id: z.string(),
      user_id: z.string().nullable(),
      gateway_id: z.string(),
      expected: z.enum(['allowed', 'denied']),
      observed: z.enum(['connected', 'absent']),
      verdict: truthVerdict,
      reason: z.string().optional(),
      last_seen_at: z.string(),
    }),
  ),
});

/** GET /v1/gateway/pools: the pools devices pick a gateway from. */
export const poolDirectory = z.array(
  z.object({
    pool_id: z.string(),
    name: z.string(),
    region: z.string(),
    channel,
    selection: z.enum(['latency', 'round_robin', 'sticky']),
    healthy: z.boolean(),
    endpoints: z.array(z.object({ gateway_id: z.string(), host: z.string(), port: z.number(), public_key: z.string(), admission_url: z.string().nullable() })),
  }),
);

/** POST /v1/gateway/enroll: the gateway's bearer credential, shown once. */
export const gatewayEnrolled = z.object({
  gateway_id: z.string(),
  gateway_token: z.string(),
  pool_id: z.string(),
  tenant_id: z.string(),
  name: z.string(),
  channel,
  status: gatewayStatus,
  heartbeat_interval_s: z.number(),
});

export const deploymentConfig = z.object({
  pool_id: z.string(),
  gateway_id: z.string(),
  channel,
  listen_port: z.number(),
  overlay_cidr: z.string(),
  dns: z.array(z.string()),
  mtu: z.number(),
  destinations: z.array(z.string()),
  metering_interval_s: z.number(),
  heartbeat_interval_s: z.number(),
  watch_timeout_s: z.number(),
  log_level: z.string(),
  config_serial: z.string(),
});

export const authMaterialManifest = z.object({
  serial: z.number(),
  items: z.array(z.object({ name: z.string(), kind: z.literal('runtime'), version: z.string(), sha256: z.string(), url: z.string() })),
});

export const watchAnswer = z.object({ serial: z.number(), changed: z.literal(true) });

/** GET /v1/gateway/runtime/client-admission-grant: whether the device may connect now, and to what. */
export const admissionGrant = z.object({
  allow: z.boolean(),
  grant_id: z.string().nullable(),
  device_id: z.string(),
  user_id: z.string().nullable(),
  group_ids: z.array(z.string()),
  overlay_ip: z.string().nullable(),
  public_key: z.string().nullable(),
  destinations: z.array(z.object({ cidr: z.string(), protocol: z.enum(['tcp', 'udp', 'icmp', 'any']), ports: z.array(z.string()) })),
  expires_at: z.string().nullable(),
  reason: z.string(),
});

import type { Channel } from '../access.types.js';

/** The gateways part's rows, typed for Kysely. */
export type PoolSelection = 'latency' | 'round_robin' | 'sticky';

export interface AccessGatewayPoolRow {
  id: string;
  tenant_id: string;
  name: string;
  region: string;
  selection: PoolSelection;
  /** JSON array of CIDRs (or FQDNs) reachable through the pool; grants are narrowed to them. */
  destinations: unknown;
  min_healthy: number;
  /** Which policy bundle the pool's gateways enforce. */
  channel: Channel;
  /** WireGuard UDP port of the pool's gateways (deployment-config). */
  listen_port: number;
  mtu: number;
  /** JSON array of resolver addresses handed to devices. */
  dns: unknown;
  created_at: string;
  updated_at: string;
}

export interface AccessGatewayRow {
  id: string;
  tenant_id: string;
  pool_id: string;
  name: string;
  public_key: string;
  host: string;
  port: number;
  /** The gateway agent's own admission endpoint, where devices present their SPC. */
  admission_url: string | null;
  /** What the gateway said of itself in its last heartbeat; the shown status also weighs the heartbeat's age. */
  reported_status: 'ok' | 'degraded';
  version: string | null;
  max_sessions: number | null;
  /** sha256 of the bearer secret: a high-entropy secret needs no slow hash. */
  token_hash: string;
  token_prefix: string;
  enrollment_token_id: string;
  last_heartbeat_at: string | null;
  /** End of the newest metering window it reported: sessions in that window are the ones it sees now. */
  last_window_end: string | null;
  active_sessions: number;
  created_at: string;
  updated_at: string;
}

export interface AccessRuntimeSerialRow {
  tenant_id: string;
  serial: number;
  reason: string;
  changed_at: string;
}

export type SessionState = 'active' | 'closed';

export interface AccessSessionRow {
  id: string;
  tenant_id: string;
  device_id: string;
  user_id: string | null;
  gateway_id: string;
  pool_id: string;
  client_ip: string | null;
  overlay_ip: string | null;
  state: SessionState;
  started_at: string;
  last_seen_at: string;
  bytes_rx: number;
  bytes_tx: number;
  closed_reason: string | null;
  closed_at: string | null;
  reported_active: boolean | number;
  rtt_ms: number | null;
  loss_pct: number | null;
  telemetry_at: string | null;
}

/** A session's bytes metered in one UTC month (YYYY-MM): the sum of the windows that ended in it. */
export interface AccessSessionUsageRow {
  session_id: string;
  tenant_id: string;
  period: string;
  bytes_rx: number;
  bytes_tx: number;
}

export interface AccessMeteringWindowRow {
  gateway_id: string;
  window_start: string;
  window_end: string;
  active_sessions: number;
  session_count: number;
  received_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    access_session_usage: AccessSessionUsageRow;
    access_gateway_pools: AccessGatewayPoolRow;
    access_gateways: AccessGatewayRow;
    access_runtime_serials: AccessRuntimeSerialRow;
    access_sessions: AccessSessionRow;
    access_metering_windows: AccessMeteringWindowRow;
  }
}

/**
 * The access (ZTNA) admin API's shapes as the console reads them: research/ztna.md's "Model suggestion" field names,
 * which the access parts serve verbatim (docs/access.md documents them). Only the fields the pages show are here.
 */
export type DeviceStatus = 'pending' | 'active' | 'suspended' | 'revoked';
export type Channel = 'canary' | 'stable';
export type Verdict = 'compliant' | 'noncompliant' | 'unknown';

export interface Device {
  id: string;
  user_id: string | null;
  name: string;
  platform: string;
  os_version?: string | null;
  client_version?: string | null;
  public_key: string;
  overlay_ip: string;
  status: DeviceStatus;
  enrolled_via?: string;
  channel: Channel;
  posture?: { verdict: Verdict; failed_checks: string[]; checked_at: string | null } | null;
  last_seen_at?: string | null;
  created_at?: string;
}
export type DeviceAction = 'suspend' | 'reactivate' | 'revoke' | 'set_channel';

export type TokenKind = 'device' | 'gateway';
export type TokenStatus = 'active' | 'exhausted' | 'expired' | 'revoked';
export interface EnrollmentToken {
  id: string;
  name: string;
  prefix: string;
  kind: TokenKind;
  max_uses: number;
  use_count: number;
  expires_at: string;
  bound_user_id?: string | null;
  bound_email?: string | null;
  auto_group_ids?: string[];
  pool_id?: string | null;
  channel?: Channel | null;
  status: TokenStatus;
  created_at?: string;
  last_used_at?: string | null;
  revoked_at?: string | null;
}
export interface TokenInput {
  name: string;
  kind: TokenKind;
  max_uses?: number;
  expires_at?: string;
  bound_user_id?: string;
  auto_group_ids?: string[];
  pool_id?: string;
  channel?: Channel;
}
/** generate answers the row and, this once, the secret. */
export type GeneratedToken = EnrollmentToken & { token: string };

export type PoolSelection = 'latency' | 'round_robin' | 'sticky';
export interface Pool {
  id: string;
  name: string;
  region: string;
  selection: PoolSelection;
  destinations: string[];
  min_healthy: number;
  channel: Channel;
  listen_port?: number;
  gateway_count?: number;
}
export interface PoolInput {
  id?: string;
  name: string;
  region: string;
  selection?: PoolSelection;
  destinations?: string[];
  min_healthy?: number;
  channel?: Channel;
}
export type GatewayStatus = 'pending' | 'online' | 'degraded' | 'offline';
export interface Gateway {
  id: string;
  pool_id: string;
  name: string;
  public_key?: string;
  endpoint?: string;
  status: GatewayStatus;
  version?: string | null;
  active_sessions?: number;
  last_heartbeat_at?: string | null;
}
export interface GatewayHealth {
  pools: { pool_id: string; healthy: number; total: number; min_healthy: number; ok: boolean }[];
  gateways: Gateway[];
}

export type BundleStatus = 'draft' | 'canary' | 'stable' | 'superseded' | 'rolled_back';
export interface Destination {
  cidr?: string;
  fqdn?: string;
  protocol: 'tcp' | 'udp' | 'icmp' | 'any';
  ports?: string[];
}
export interface Rule {
  id?: string;
  name: string;
  priority?: number;
  action: 'allow' | 'deny';
  sources?: { group_ids?: string[]; user_ids?: string[]; device_ids?: string[] };
  destinations: Destination[];
  require_posture?: string[];
  enabled?: boolean;
}
export interface Bundle {
  id: string;
  serial: number;
  digest: string;
  channel: Channel;
  status: BundleStatus;
  default_action?: string;
  rules?: Rule[];
  canary?: { device_ids?: string[]; group_ids?: string[]; percent?: number } | null;
  notes?: string | null;
  kid?: string;
  published_by?: string | null;
  published_at: string;
}
export interface PublishInput {
  channel: Channel;
  rules?: Rule[];
  bundle_id?: string;
  canary?: { device_ids?: string[]; group_ids?: string[]; percent?: number };
  notes?: string;
}
/** A diff between two digests: the rules only one side has, and those whose content changed (keyed on rule id). */
export interface BundleDiff {
  from: { digest: string; serial: number };
  to: { digest: string; serial: number };
  identical: boolean;
  posture_changed: boolean;
  added: Rule[];
  removed: Rule[];
  changed: { id: string; fields: string[]; from: Rule; to: Rule }[];
}

export interface Session {
  id: string;
  device_id: string;
  user_id?: string | null;
  gateway_id: string;
  pool_id?: string | null;
  client_ip?: string | null;
  overlay_ip?: string | null;
  state: 'active' | 'closed';
  started_at: string;
  last_seen_at?: string | null;
  bytes_rx: number;
  bytes_tx: number;
  closed_reason?: string | null;
}

/** A page of a list: the items, the total when the route says it, and the cursor of the next page. */
export interface Paged<T> {
  items: T[];
  total?: number;
  next_cursor?: string | null;
}

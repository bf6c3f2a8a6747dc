/**
 * The access (ZTNA) admin API's shapes as the console reads them: research/ztna.md's "Model suggestion" field names,
 * which the access parts serve verbatim (docs/access.md documents them). Only the fields the pages show are here.
 */
import type { paths } from '../../app/api/generated/access';

export type Channel = 'canary' | 'stable';
export type Verdict = 'compliant' | 'noncompliant' | 'unknown';

/** Routes that declare their response schema: their types come from the generated client. */
type Json<P extends keyof paths, M extends keyof paths[P], S extends number = 200> = paths[P][M] extends { responses: { [K in S]: { content: { 'application/json': infer B } } } } ? B : never;
type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

export type Device = Json<'/v1/admin/devices', 'get'>['items'][number];
export type DeviceAction = Body<'/v1/admin/devices/lifecycle', 'post'>['action'];
export type TokenKind = 'device' | 'gateway';
export type EnrollmentToken = Json<'/v1/admin/tokens', 'get'>['items'][number];
export type TokenInput = Body<'/v1/admin/tokens/generate', 'post'>;
/** generate answers the row and, this once, the secret. */
export type GeneratedToken = Json<'/v1/admin/tokens/generate', 'post', 201>;

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

export type TruthVerdict = 'consistent' | 'ghost_session' | 'missing_session' | 'revoked_but_connected';
/** GET /v1/admin/connection_truth: what the control plane allows against what gateways report. */
export interface ConnectionTruth {
  generated_at: string;
  summary: Record<TruthVerdict, number>;
  alerts: number;
  items: {
    session_id: string;
    device_id: string;
    user_id: string | null;
    gateway_id: string;
    expected: 'allowed' | 'denied';
    observed: 'connected' | 'absent';
    verdict: TruthVerdict;
    reason?: string;
    last_seen_at: string;
  }[];
}

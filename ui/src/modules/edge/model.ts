/**
 * The edge surface's shapes as AiFw's UI reads them (test/contract/aifw-ui.contract.ts is the reference; the
 * OpenAPI document types the calls in api.ts). Kept here, beside the pages, so every page names one type per thing.
 */
export interface PortRange { start: number; end: number }

export interface Rule {
  id: string;
  priority: number;
  action: string;
  direction: string;
  protocol: string;
  ip_version?: string | null;
  interface?: string | null;
  rule_match: { src_addr: string; src_port?: PortRange | null; src_invert?: boolean; dst_addr: string; dst_port?: PortRange | null; dst_invert?: boolean };
  log: boolean;
  quick: boolean;
  label?: string | null;
  description?: string | null;
  gateway?: string | null;
  schedule_id?: string | null;
  state_options: { tracking: string };
  status: 'active' | 'disabled' | string;
  created_at: string;
}

/** What POST/PUT /api/v1/rules take (flat, as AiFw's form sends it). */
export interface RuleBody {
  action: string;
  direction: string;
  protocol: string;
  ip_version?: string;
  interface?: string;
  src_addr: string;
  src_port_start?: number | null;
  src_port_end?: number | null;
  src_invert?: boolean;
  dst_addr: string;
  dst_port_start?: number | null;
  dst_port_end?: number | null;
  dst_invert?: boolean;
  log: boolean;
  quick: boolean;
  label?: string;
  description?: string;
  schedule_id?: string | null;
  state_tracking: string;
  status: string;
}

export interface Alias {
  id: string;
  name: string;
  alias_type: 'host' | 'network' | 'port' | 'url_table' | string;
  entries: string[];
  description: string | null;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export interface Schedule {
  id: string;
  name: string;
  description?: string | null;
  /** "HH:MM-HH:MM" each; a range whose end is before its start runs past midnight. */
  time_ranges: string[] | string;
  /** mon..sun (any case); empty or missing: every day. */
  days_of_week?: string[] | string | null;
  enabled: boolean;
  created_at?: string;
}

export interface NatRule {
  id: string;
  nat_type: string;
  interface: string;
  protocol: string;
  src_addr: string;
  src_port: PortRange | null;
  dst_addr: string;
  dst_port: PortRange | null;
  redirect: { address: string; port: PortRange | null };
  label: string | null;
  status: string;
  created_at?: string;
}

export interface NatBody {
  nat_type: string;
  interface: string;
  protocol: string;
  src_addr?: string;
  src_port_start?: number;
  src_port_end?: number;
  dst_addr?: string;
  dst_port_start?: number;
  dst_port_end?: number;
  redirect_addr?: string;
  redirect_port_start?: number;
  redirect_port_end?: number;
  label?: string;
  status: string;
}

export interface InterfaceSummary { name: string; role?: string | null; description?: string | null; status?: string | null; ipv4?: string | null }

export interface InterfaceDetail {
  name: string;
  mac: string | null;
  ipv4: string | null;
  ipv4_netmask?: string | null;
  ipv6: string | null;
  status: string;
  mtu: number;
  description: string | null;
  is_vlan: boolean;
  vlan_id: number | null;
  vlan_parent: string | null;
  bytes_in: number;
  bytes_out: number;
  packets_in: number;
  packets_out: number;
  errors_in: number;
  errors_out: number;
  gateway: string | null;
  ipv4_mode: string | null;
  role?: string | null;
}

export interface Vlan {
  id: string;
  vlan_id: number;
  parent: string;
  ipv4_mode: string;
  ipv4_address: string | null;
  ipv6_address: string | null;
  mtu: number;
  enabled: boolean;
  description: string | null;
}

export interface StaticRoute {
  id: string;
  destination: string;
  gateway: string;
  interface: string | null;
  metric: number;
  enabled: boolean;
  description: string | null;
}

export interface SystemRoute { destination: string; gateway: string; flags: string; interface: string }

export interface Connection {
  id: number | string;
  protocol: string;
  src_addr: string;
  src_port: number;
  dst_addr: string;
  dst_port: number;
  state: string;
  packets_in: number;
  packets_out: number;
  bytes_in: number;
  bytes_out: number;
  age_secs: number;
}

export interface BlockedEntry {
  timestamp: string;
  action: string;
  direction: string;
  interface: string;
  protocol: string;
  src_addr: string;
  src_port: number;
  dst_addr: string;
  dst_port: number;
}

export interface LogEntry { id: string; timestamp: string; action: string; rule_id: string | null; details: string; source: string }

export interface Pending { firewall: boolean; nat: boolean; dns: boolean }

export interface CommitConfirmStatus { active: boolean; seconds_remaining: number; description: string | null; expires_at?: string | null }

export interface ConfigVersion {
  version: number;
  hash: string;
  applied: boolean;
  applied_at: string | null;
  rolled_back: boolean;
  created_by: string;
  created_at: string;
  comment: string | null;
  resource_count: number;
}

export interface SectionDiff { added: number; removed: number; v1_count: number; v2_count: number }

export interface ConfigDiff {
  v1: number;
  v2: number;
  v1_hash: string;
  v2_hash: string;
  identical: boolean;
  rules_diff: SectionDiff;
  nat_diff: SectionDiff;
  total_v1: number;
  total_v2: number;
  v1_json: Record<string, unknown>;
  v2_json: Record<string, unknown>;
}

export interface RestorePreview {
  interfaces_found: string[];
  interfaces_missing: string[];
  interfaces_present: Array<{ name: string } | string>;
  suggestions: Record<string, string>;
  drop_summary_if_unmapped: Record<string, number | boolean>;
}

/** "HH:MM-HH:MM,..." or a list: the ranges one by one. */
export function rangesOf(s: Schedule): string[] {
  return (Array.isArray(s.time_ranges) ? s.time_ranges : String(s.time_ranges ?? '').split(',')).map((r) => r.trim()).filter(Boolean);
}

export const WEEK = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** The days a schedule runs on, lower-case three letters; every day when it names none. */
export function daysOf(s: Schedule): string[] {
  const raw = Array.isArray(s.days_of_week) ? s.days_of_week : String(s.days_of_week ?? '').split(',');
  const days = raw.map((d) => d.trim().slice(0, 3).toLowerCase()).filter((d) => (WEEK as readonly string[]).includes(d));
  return days.length ? days : [...WEEK];
}

export function formatPort(port: PortRange | null | undefined): string {
  if (!port) return '';
  return port.start === port.end ? String(port.start) : `${port.start}-${port.end}`;
}

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** "443" or "8000-8080" to start/end; empty: nothing. Throws on anything else. */
export function parsePorts(value: string | undefined, what: string): { start?: number; end?: number } {
  const v = (value ?? '').trim();
  if (!v) return {};
  const m = /^(\d{1,5})(?:\s*[-:]\s*(\d{1,5}))?$/.exec(v);
  const start = m ? Number(m[1]) : NaN;
  const end = m?.[2] ? Number(m[2]) : start;
  if (!m || start < 1 || end > 65535 || end < start) throw new Error(`${what}: a port (1-65535) or a range like 8000-8080`);
  return end === start ? { start } : { start, end };
}

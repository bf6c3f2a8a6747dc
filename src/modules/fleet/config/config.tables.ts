/** Tables of the fleet's system configs, license and liveness (config.migrations.ts). */
export interface FleetSettingRow {
  /** connectivity | intelligence | discovery | scan | compliance | scan_variables | connectivity_status */
  section: string;
  /** JSON object. */
  value: string;
  updated_by: string | null;
  updated_at: string;
}

/** The installed license JWT ('current'); signature checked on every read, never trusted from the row. */
export interface FleetLicenseRow {
  slot: string;
  token: string;
  installed_by: string | null;
  installed_at: string;
}

export type MonitoringState = 'online' | 'degraded' | 'critical' | 'down' | 'maintenance' | 'unknown';
export type ReachabilityStatus = 'reachable' | 'unreachable' | 'unknown';

/** A host's current liveness: state, per-layer consecutive failures and the streak of all-layer passes. */
export interface FleetHostLivenessRow {
  host_id: string;
  monitoring_state: MonitoringState;
  reachability_status: ReachabilityStatus;
  icmp_failures: number;
  ssh_failures: number;
  privilege_failures: number;
  icmp_successes: number;
  ssh_successes: number;
  privilege_successes: number;
  pass_streak: number;
  privilege: string | null;
  last_response_ms: number | null;
  last_error: string | null;
  /** icmp_unreachable, no_credential, auth_failed, timeout, unreachable, host_key_mismatch, protocol, privilege_denied ... */
  last_error_type: string | null;
  last_probe_at: string | null;
  state_changed_at: string | null;
  next_probe_at: string;
  updated_at: string;
}

/** One probe (or maintenance skip) of one host. Layer columns: 1 ok, 0 failed, null not run. */
export interface FleetMonitoringHistoryRow {
  id: string;
  host_id: string;
  checked_at: string;
  monitoring_state: MonitoringState;
  previous_state: MonitoringState;
  reachability_status: ReachabilityStatus;
  icmp_ok: number | null;
  ssh_ok: number | null;
  privilege_ok: number | null;
  response_ms: number | null;
  error: string | null;
  error_type: string | null;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    fleet_settings: FleetSettingRow;
    fleet_license: FleetLicenseRow;
    fleet_host_liveness: FleetHostLivenessRow;
    fleet_monitoring_history: FleetMonitoringHistoryRow;
  }
}

/**
 * The fleet's alerts, typed for Kysely. Timestamps are ISO strings; tags is a json column (read it with
 * db.dialect.fromJson).
 */
export type AlertSeverity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export type AlertState = 'active' | 'acknowledged' | 'silenced' | 'resolved' | 'dismissed';

/** One alert. At most one row per dedup_key is open (not resolved or dismissed): the database enforces it. */
export interface FleetAlertRow {
  id: string;
  /** alert_type|host_id|rule_id: what makes two raises the same alert. */
  dedup_key: string;
  alert_type: string;
  severity: AlertSeverity;
  host_id: string | null;
  rule_id: string | null;
  title: string;
  body: string;
  /** JSON object of string -> string; always carries severity, alert_type and host_id. */
  tags: string;
  state: AlertState;
  occurred_at: string;
  /** Ids of the principals who moved the alert; null when the system did. */
  acknowledged_by: string | null;
  acknowledged_at: string | null;
  silenced_by: string | null;
  silenced_until: string | null;
  resolved_by: string | null;
  resolved_at: string | null;
  dismissed_by: string | null;
  dismissed_at: string | null;
  created_at: string;
  updated_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    fleet_alerts: FleetAlertRow;
  }
}

import { z } from 'zod';
import type { AlertSeverity, AlertState, FleetAlertRow } from './alerts.tables.js';

export const ALERT_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const satisfies readonly AlertSeverity[];
export const ALERT_STATES = ['active', 'acknowledged', 'silenced', 'resolved', 'dismissed'] as const satisfies readonly AlertState[];

/** The alert types the fleet raises, with OpenWatch's default severities; any other type is medium. */
export const DEFAULT_SEVERITY: Record<string, AlertSeverity> = {
  host_unreachable: 'high',
  host_recovered: 'info',
  drift_major: 'high',
  drift_minor: 'medium',
  drift_improvement: 'info',
};

export const severityOf = (alertType: string): AlertSeverity => DEFAULT_SEVERITY[alertType] ?? 'medium';

/** What raising an alert takes; the dedup key is derived from type, host and rule. */
export interface RaiseAlertInput {
  alert_type: string;
  severity?: AlertSeverity;
  host_id?: string | null;
  rule_id?: string | null;
  title: string;
  body?: string;
  tags?: Record<string, string>;
  occurred_at?: string;
}

/** The alert as the API gives it (OpenWatch's Alert schema). */
export const alertView = z.object({
  id: z.string(),
  dedup_key: z.string(),
  alert_type: z.string(),
  severity: z.enum(ALERT_SEVERITIES),
  host_id: z.string().nullable(),
  rule_id: z.string().nullable(),
  title: z.string(),
  body: z.string(),
  tags: z.record(z.string(), z.string()),
  state: z.enum(ALERT_STATES),
  occurred_at: z.string(),
  acknowledged_by: z.string().nullable(),
  acknowledged_at: z.string().nullable(),
  silenced_by: z.string().nullable(),
  silenced_until: z.string().nullable(),
  resolved_by: z.string().nullable(),
  resolved_at: z.string().nullable(),
  dismissed_by: z.string().nullable(),
  dismissed_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Alert = z.infer<typeof alertView>;

export function toAlert(row: FleetAlertRow, fromJson: <T>(value: unknown) => T): Alert {
  return { ...row, tags: fromJson<Record<string, string>>(row.tags) };
}

export type AlertAction = 'acknowledge' | 'silence' | 'resolve' | 'dismiss' | 'unsilence';

/** The state machine: which states each action leaves from, where it goes, and the audit action it writes. */
export const TRANSITIONS: Record<AlertAction, { from: readonly AlertState[]; to: AlertState; audit: string }> = {
  acknowledge: { from: ['active'], to: 'acknowledged', audit: 'alert.acknowledged' },
  silence: { from: ['active', 'acknowledged'], to: 'silenced', audit: 'alert.silenced' },
  resolve: { from: ['active', 'acknowledged', 'silenced'], to: 'resolved', audit: 'alert.resolved' },
  dismiss: { from: ['active', 'acknowledged', 'silenced', 'resolved'], to: 'dismissed', audit: 'alert.dismissed' },
  unsilence: { from: ['silenced'], to: 'active', audit: 'alert.unsilenced.auto' },
};

/** A drift report from the scans part (its onDrift hook); the kind with or without its `drift_` prefix. */
export interface DriftReport {
  host_id: string;
  kind: 'major' | 'minor' | 'improvement' | 'drift_major' | 'drift_minor' | 'drift_improvement';
  previous: number;
  current: number;
  scan_id: string;
}

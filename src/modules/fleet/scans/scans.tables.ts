/**
 * Scan runs and the compliance state they leave behind, typed for Kysely. Timestamps are ISO strings; json columns
 * are JSON text on SQLite and jsonb on PostgreSQL (read them with db.dialect.fromJson).
 */
import type { RuleStatus } from '../compliance/rule.types.js';

export type ScanStatus = 'queued' | 'running' | 'completed' | 'failed';
export type TriggerSource = 'on_demand' | 'scheduled';
export type ChangeKind = 'first_seen' | 'state_changed' | 'severity_changed';
export type ComplianceState = 'critical' | 'non_compliant' | 'partial' | 'mostly_compliant' | 'compliant' | 'unknown';

/** One scan of one host: the logbook row the API shows, queued until a worker finishes it. */
export interface FleetScanRunRow {
  id: string;
  host_id: string;
  /** The fleet.scan job that runs it. */
  job_id: string | null;
  status: ScanStatus;
  trigger_source: TriggerSource;
  requested_by: string | null;
  /** Only the rules mapped to this framework (key or family) are evaluated; null for the whole rule set. */
  framework: string | null;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** Hash of the rule set the scan evaluated; empty until it runs. */
  policy_version: string;
  rules_pass: number;
  rules_fail: number;
  rules_skipped: number;
  rules_error: number;
  /** passed/(passed+failed)*100; null when nothing passed or failed. */
  score: number | null;
  /** How many times a worker started it (a reaped run starts again). */
  attempts: number;
  failure_reason: string | null;
  correlation_id: string | null;
}

/** Evidence bodies, stored once per distinct content (a rule passing the same way on every host shares a row). */
export interface FleetScanEvidenceRow {
  sha256: string;
  /** JSON of the Evidence contract (method, command, stdout, stderr, exit_code, expected, actual, truncated). */
  body: unknown;
  created_at: string;
}

/** One rule's verdict in one scan. */
export interface FleetScanResultRow {
  scan_id: string;
  rule_id: string;
  host_id: string;
  title: string;
  category: string;
  status: RuleStatus;
  severity: string;
  /** JSON object framework key -> control ids. */
  framework_refs: unknown;
  skip_reason: string | null;
  evidence_sha256: string | null;
}

/** The current verdict of a rule on a host: rewritten by each scan that evaluates the rule. */
export interface FleetHostRuleStateRow {
  host_id: string;
  rule_id: string;
  current_status: RuleStatus;
  severity: string;
  title: string;
  category: string;
  framework_refs: unknown;
  /** `|key|family|...|`: the framework keys and their families, so ?framework= filters with one LIKE on both databases. */
  framework_keys: string;
  /** The scan that last evaluated the rule: rows older than the host's latest scan are history, not state. */
  last_scan_id: string;
  first_seen_at: string;
  last_checked_at: string;
  last_changed_at: string;
  check_count: number;
}

/** The change log: a row each time a rule is first seen on a host or changes status or severity there. */
export interface FleetComplianceTransactionRow {
  id: string;
  host_id: string;
  rule_id: string;
  scan_id: string;
  change_kind: ChangeKind;
  status: RuleStatus;
  previous_status: RuleStatus | null;
  severity: string;
  previous_severity: string | null;
  occurred_at: string;
}

/** Per host: the latest completed scan's roll-up, its band and the scheduler's next visit. */
export interface FleetHostComplianceRow {
  host_id: string;
  latest_scan_id: string | null;
  last_scan_at: string | null;
  passing: number;
  failing: number;
  skipped: number;
  error: number;
  total: number;
  critical_failing: number;
  score: number | null;
  compliance_state: ComplianceState;
  interval_minutes: number;
  next_scan_at: string | null;
  updated_at: string;
}

/** One row per host per day with a completed scan: the trend charts. */
export interface FleetComplianceSnapshotRow {
  host_id: string;
  day: string;
  score: number | null;
  passing: number;
  failing: number;
  total: number;
  critical_failing: number;
  updated_at: string;
}

/** Who is scanning a host right now, across every Rampart node; the lease lets a dead worker's claim lapse. */
export interface FleetScanLockRow {
  host_id: string;
  scan_id: string;
  holder: string;
  locked_until: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    fleet_scan_runs: FleetScanRunRow;
    fleet_scan_evidence: FleetScanEvidenceRow;
    fleet_scan_results: FleetScanResultRow;
    fleet_host_rule_state: FleetHostRuleStateRow;
    fleet_compliance_transactions: FleetComplianceTransactionRow;
    fleet_host_compliance: FleetHostComplianceRow;
    fleet_compliance_snapshots: FleetComplianceSnapshotRow;
    fleet_scan_locks: FleetScanLockRow;
  }
}

import type { Generated } from 'kysely';

/** The audit part's rows, typed for Kysely. */
export interface AccessSiemConnectorRow {
  tenant_id: string;
  enabled: boolean | number;
  type: 'syslog' | 'webhook';
  config: unknown;
  secret_sealed: string | null;
  cursor_t: string | null;
  cursor_id: string | null;
  job_id: string | null;
  last_success_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface AccessSiemDeliveryRow {
  id: string;
  tenant_id: string;
  job_id: string | null;
  attempt: number;
  type: string;
  target: string;
  kind: 'forward' | 'test';
  status: 'delivered' | 'failed';
  http_status: number | null;
  error: string | null;
  events: number;
  first_event_id: string | null;
  last_event_id: string | null;
  duration_ms: number;
  created_at: string;
}

export interface AccessPlaybookRunRow {
  id: string;
  tenant_id: string;
  playbook: string;
  target: unknown;
  reason: string;
  dry_run: boolean | number;
  status: 'planned' | 'queued' | 'running' | 'succeeded' | 'failed';
  steps: unknown;
  job_id: string | null;
  requested_by: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface AccessSiemOutboxRow {
  seq: Generated<number>;
  tenant_id: string;
  event_id: string;
  created_at: string;
}

export interface AccessRetentionRow {
  tenant_id: string;
  last_prune_at: string | null;
  last_result: unknown;
  job_id: string | null;
  updated_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    access_siem_connectors: AccessSiemConnectorRow;
    access_siem_deliveries: AccessSiemDeliveryRow;
    access_ops_playbook_runs: AccessPlaybookRunRow;
    access_siem_outbox: AccessSiemOutboxRow;
    access_ops_retention: AccessRetentionRow;
  }
}

/** Remediation requests (one rule on one host), typed for Kysely. plan and journal are json columns. */
export type RemediationStatus = 'pending_approval' | 'approved' | 'rejected' | 'executing' | 'executed' | 'failed' | 'partially_applied' | 'rolled_back';

export interface FleetRemediationRow {
  id: string;
  host_id: string;
  rule_id: string;
  status: RemediationStatus;
  /** Principal ids: the requester cannot approve their own request. */
  requested_by: string;
  request_comment: string | null;
  reviewed_by: string | null;
  reviewed_at: string | null;
  review_comment: string | null;
  /** JSON: the plan made when the request was filed (mechanism, manual note, step descriptions). */
  plan: string;
  /** JSON array of journal entries, one per step run or rolled back, with the prior state each apply captured. */
  journal: string;
  failure_reason: string | null;
  executed_by: string | null;
  executed_at: string | null;
  rolled_back_by: string | null;
  rolled_back_at: string | null;
  created_at: string;
  updated_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    fleet_remediation_requests: FleetRemediationRow;
  }
}

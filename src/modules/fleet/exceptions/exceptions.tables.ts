/** Compliance exceptions (rule waivers on a host), typed for Kysely. */
export type ExceptionStatus = 'requested' | 'approved' | 'rejected' | 'revoked' | 'expired';

export interface FleetExceptionRow {
  id: string;
  host_id: string;
  rule_id: string;
  status: ExceptionStatus;
  justification: string;
  /** Principal ids: the requester can never be the reviewer. */
  requested_by: string;
  requested_at: string;
  reviewed_by: string | null;
  reviewed_at: string | null;
  review_comment: string | null;
  /** The waiver ends here, approved or not (the sweeper marks it expired). */
  expires_at: string;
  revoked_by: string | null;
  revoked_at: string | null;
  created_at: string;
  updated_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    fleet_exceptions: FleetExceptionRow;
  }
}

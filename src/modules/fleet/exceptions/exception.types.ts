import { z } from 'zod';
import type { EnterpriseFeature } from '../license/features.js';
import type { ExceptionStatus, FleetExceptionRow } from './exceptions.tables.js';

export const EXCEPTION_STATUSES = ['requested', 'approved', 'rejected', 'revoked', 'expired'] as const satisfies readonly ExceptionStatus[];

/** The license feature OpenWatch puts structured exceptions under (enterprise). */
export const EXCEPTIONS_FEATURE: EnterpriseFeature = 'structured_exceptions';

export const exceptionView = z.object({
  id: z.string(),
  host_id: z.string(),
  rule_id: z.string(),
  status: z.enum(EXCEPTION_STATUSES),
  justification: z.string(),
  requested_by: z.string(),
  requested_at: z.string(),
  reviewed_by: z.string().nullable(),
  reviewed_at: z.string().nullable(),
  review_comment: z.string().nullable(),
  expires_at: z.string(),
  revoked_by: z.string().nullable(),
  revoked_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ExceptionView = z.infer<typeof exceptionView>;

export const toException = (row: FleetExceptionRow): ExceptionView => ({ ...row });

export interface ExceptionRequestInput {
  rule_id: string;
  justification: string;
  /** When the waiver ends; or duration_days from now; 30 days when neither is given. */
  expires_at?: string;
  duration_days?: number;
}

export type ReviewAction = 'approve' | 'reject' | 'revoke';

/** Each review action: the state it leaves from, where it goes, its audit action, and whether the requester is barred. */
export const REVIEWS: Record<ReviewAction, { from: ExceptionStatus; to: ExceptionStatus; audit: string; separationOfDuties: boolean }> = {
  approve: { from: 'requested', to: 'approved', audit: 'compliance.exception.approved', separationOfDuties: true },
  reject: { from: 'requested', to: 'rejected', audit: 'compliance.exception.rejected', separationOfDuties: true },
  revoke: { from: 'approved', to: 'revoked', audit: 'compliance.exception.revoked', separationOfDuties: false },
};

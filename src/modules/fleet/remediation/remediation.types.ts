import { z } from 'zod';
import type { RemediationPlan } from '../compliance/remediation/plan.js';
import type { HostSession } from '../ssh/ssh.types.js';
import type { PriorState } from '../compliance/remediation/step.js';
import type { RemediationStatus } from './remediation.tables.js';

export const REMEDIATION_STATUSES = ['pending_approval', 'approved', 'rejected', 'executing', 'executed', 'failed', 'partially_applied', 'rolled_back'] as const satisfies readonly RemediationStatus[];

/**
 * What remediation needs from the other fleet parts: the plan for a rule on a host (the rule catalog, the host's
 * facts and capabilities) and an SSH session to it (the host's resolved credential over the connector).
 */
export interface RemediationHosts {
  plan(hostId: string, ruleId: string): Promise<RemediationPlan>;
  open(hostId: string, signal?: AbortSignal): Promise<HostSession>;
}

/** The stored plan: what will run, without the functions. */
export interface StoredPlan {
  rule_id: string;
  mechanism: string | null;
  manual: string | null;
  steps: { mechanism: string; description: string }[];
}

export interface JournalEntry {
  index: number;
  mechanism: string;
  description: string;
  status: 'applied' | 'failed' | 'rolled_back' | 'rollback_failed';
  at: string;
  error?: string;
  /** What apply found, for rollback; kept server-side, never returned. */
  prior?: PriorState;
}

export const planView = z.object({
  rule_id: z.string(),
  mechanism: z.string().nullable(),
  manual: z.string().nullable(),
  steps: z.array(z.object({ mechanism: z.string(), description: z.string() })),
});

export const stepView = z.object({
  index: z.number().int(),
  mechanism: z.string(),
  description: z.string(),
  status: z.enum(['applied', 'failed', 'rolled_back', 'rollback_failed']),
  at: z.string(),
  error: z.string().nullable(),
});

export const remediationView = z.object({
  id: z.string(),
  host_id: z.string(),
  rule_id: z.string(),
  status: z.enum(REMEDIATION_STATUSES),
  requested_by: z.string(),
  request_comment: z.string().nullable(),
  reviewed_by: z.string().nullable(),
  reviewed_at: z.string().nullable(),
  review_comment: z.string().nullable(),
  failure_reason: z.string().nullable(),
  executed_by: z.string().nullable(),
  executed_at: z.string().nullable(),
  rolled_back_by: z.string().nullable(),
  rolled_back_at: z.string().nullable(),
  step_count: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type RemediationView = z.infer<typeof remediationView>;

export const dryRunView = z.object({
  request_id: z.string(),
  status: z.enum(REMEDIATION_STATUSES),
  steps: z.array(z.object({ index: z.number().int(), mechanism: z.string(), description: z.string(), diff: z.string().nullable() })),
});

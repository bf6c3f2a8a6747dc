import { selectImplementation } from '../capabilities.js';
import { SHELL_FIELDS } from '../checks/index.js';
import type { ComplianceRule, HostFacts } from '../rule.types.js';
import { resolveVariables } from '../variables.js';
import { MECHANISMS } from './mechanisms.js';
import type { RemediationStep } from './step.js';

export interface RemediationPlan {
  rule_id: string;
  mechanism: string | null;
  /** Set when the rule has no automatic fix: what the operator has to do instead. */
  manual: string | null;
  steps: RemediationStep[];
}

export interface PlanOptions {
  /** The host's detected capabilities: they pick the implementation, as in the scan (default implementation if absent). */
  capabilities?: ReadonlySet<string>;
  variables?: Record<string, string>;
}

/**
 * The steps that bring a host in line with a rule, from the implementation the scan would pick. Nothing runs here:
 * each step's dryRun, apply and rollback take the session when the caller decides to run them.
 */
export function planRemediation(rule: ComplianceRule, facts: HostFacts, options: PlanOptions = {}): RemediationPlan {
  const capabilities = options.capabilities ?? new Set<string>();
  const implementation = selectImplementation(rule, capabilities);
  const remediation = implementation.remediation;
  if (!remediation) return { rule_id: rule.id, mechanism: null, manual: 'the rule has no remediation', steps: [] };
  const mechanism = MECHANISMS[remediation.mechanism];
  if (!mechanism) throw new Error(`rule ${rule.id}: unknown remediation mechanism "${remediation.mechanism}"`);
  const fields = mechanism.fields.parse(resolveVariables(remediation, { ...rule.variables, ...options.variables }, SHELL_FIELDS));
  const manual = remediation.mechanism === 'manual' ? String(remediation.note ?? '') : null;
  return { rule_id: rule.id, mechanism: remediation.mechanism, manual, steps: mechanism.steps(fields, { facts, capabilities }) };
}

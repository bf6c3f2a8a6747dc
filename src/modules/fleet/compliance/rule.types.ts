/**
 * Compliance rules in Kensa's YAML format, and what evaluating one on a host yields. The engine
 * (compliance/engine.ts) evaluates rules over a HostSession; scans store the results.
 */

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export type RuleStatus = 'pass' | 'fail' | 'skipped' | 'error';

/** Framework references: keys are per-OS (cis_ubuntu2204, stig_rhel9) or OS-free (nist_800_53); values control ids. */
export type FrameworkRefs = Record<string, string[]>;

export interface ComplianceRule {
  id: string;
  title: string;
  description?: string;
  rationale?: string;
  severity: Severity;
  category: string;
  /** As written in the YAML (cis {section, level}, stig {vuln_id, stig_id, severity}, nist_800_53 [...]). */
  references: Record<string, unknown>;
  /** Framework keys to control ids, derived from references for each platform the rule applies to. */
  frameworkRefs: FrameworkRefs;
  platforms: { family: string; min_version?: string; max_version?: string }[];
  implementations: RuleImplementation[];
  /** Where the rule came from (file path), for lint messages. */
  source?: string;
  /**
   * Defaults of the site variables (`{{ name }}`) the rule uses: the rule's own `variables:`, overridden by the rule
   * directory's variables file. The caller's values override both at evaluation.
   */
  variables?: Record<string, string>;
}

export interface RuleImplementation {
  /**
   * Capabilities the host must have for this implementation (`when:`); the default implementation has none. Every
   * item must hold; an item is a capability name, `!name` (must be absent), or `a|b` (any of them).
   */
  when?: string[];
  default?: boolean;
  check: Record<string, unknown> & { method: string };
  remediation?: Record<string, unknown> & { mechanism: string };
}

/** What the scan saw for one check: the command, its output and what was expected. */
export interface Evidence {
  method: string;
  command: string;
  stdout: string;
  stderr: string;
  exit_code: number | null;
  expected: string;
  actual: string;
  truncated: boolean;
}

export interface RuleResult {
  rule_id: string;
  title: string;
  status: RuleStatus;
  severity: Severity;
  framework_refs: FrameworkRefs;
  skip_reason: string | null;
  /** Why an errored rule could not be judged (a missing tool, a command that failed); absent otherwise. */
  error_reason?: string | null;
  /** Null only for skipped rules that ran nothing. */
  evidence: Evidence | null;
}

/** What discovery learned about the host, which picks platforms and implementations. */
export interface HostFacts {
  os_family: string | null;
  os_version: string | null;
  platform_identifier: string | null;
  architecture: string | null;
}

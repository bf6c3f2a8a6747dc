import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { formatIssue, type LintIssue, parseRuleFile } from '../../src/modules/fleet/compliance/rule-loader.js';
import type { ComplianceRule, HostFacts } from '../../src/modules/fleet/compliance/rule.types.js';

export const DEBIAN_12: HostFacts = { os_family: 'debian', os_version: '12', platform_identifier: 'debian12', architecture: 'x86_64' };
export const RHEL_9: HostFacts = { os_family: 'rhel', os_version: '9.4', platform_identifier: 'rhel9', architecture: 'x86_64' };

let counter = 0;

/** A complete rule document around the given fields (a check, or whole implementations), as a rule author writes it. */
export function ruleDocument(fields: Record<string, unknown>): Record<string, unknown> {
  const { check, remediation, ...rest } = fields;
  return {
    id: `test-rule-${++counter}`,
    title: 'A test rule',
    severity: 'medium',
    category: 'test',
    references: { cis: { debian12: { section: '1.2.3', level: 'L1' } }, stig: { rhel9: { vuln_id: 'V-1' } }, nist_800_53: ['CM-6'] },
    platforms: [{ family: 'debian', min_version: '12' }],
    ...(check ? { implementations: [{ default: true, check, ...(remediation ? { remediation } : {}) }] } : {}),
    ...rest,
  };
}

/** Parses a rule through the loader (YAML text and all), failing the test on any lint issue. */
export function ruleOf(fields: Record<string, unknown>, fileVariables: Record<string, string> = {}): ComplianceRule {
  const issues: LintIssue[] = [];
  const rule = parseRuleFile(stringify(ruleDocument(fields)), 'test.yml', fileVariables, issues);
  assert.deepEqual(issues.map(formatIssue), []);
  assert.ok(rule);
  return rule;
}

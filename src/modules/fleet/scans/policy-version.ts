import { createHash } from 'node:crypto';
import type { ComplianceRule } from '../compliance/rule.types.js';

/** The rule set's identity: a hash over the rules as loaded, so two scans with the same version graded alike. */
export function policyVersion(rules: readonly ComplianceRule[]): string {
  const hash = createHash('sha256');
  for (const rule of [...rules].sort((a, b) => a.id.localeCompare(b.id))) {
    const { source: _source, ...content } = rule;
    hash.update(JSON.stringify(content)).update('\n');
  }
  return `sha256:${hash.digest('hex').slice(0, 16)}`;
}

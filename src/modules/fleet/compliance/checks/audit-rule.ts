import { z } from 'zod';
import { type CheckMethod, commandFailure, errorVerdict, verdict } from './check-method.js';

const fields = z.strictObject({
  method: z.literal('audit_rule_exists'),
  /** An audit rule as auditctl takes it: "-w /etc/passwd -p wa -k identity". */
  rule: z.string().regex(/^(-[aAwW]\s|-e\s+[012]$)/, 'must be an audit rule: -w PATH ..., -a LIST,ACTION ..., or -e 0|1|2'),
  /** files: the persistent rules (rules.d and audit.rules); loaded: what the kernel has now (auditctl -l). */
  source: z.enum(['files', 'loaded']).default('files'),
});
type Fields = z.infer<typeof fields>;

/**
 * A rule as a sorted list of its settings, so that the spellings auditctl -l prints and the ones files use compare
 * equal: `-k x` is `-F key=x`, `-p wa` is `-F perm=wa`, and `-S a,b` is `-S a -S b` in any order.
 */
export function normalizeAuditRule(rule: string): string {
  const words = rule.trim().split(/\s+/);
  const parts: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const flag = words[i];
    const value = words[i + 1] ?? '';
    if (!flag.startsWith('-')) continue;
    i++;
    if (flag === '-k') parts.push(`key=${value}`);
    else if (flag === '-p') parts.push(`perm=${[...value].sort().join('')}`);
    else if (flag === '-S') parts.push(...value.split(',').map((s) => `S=${s}`));
    else if (flag === '-F' && value.startsWith('perm=')) parts.push(`perm=${[...value.slice(5)].sort().join('')}`);
    else if (flag === '-F') parts.push(value);
    else parts.push(`${flag}=${value}`);
  }
  return parts.sort().join(' ');
}

/** audit_rule_exists: an audit rule is among the persistent rule files or the loaded rules. */
export const auditRuleCheck: CheckMethod<Fields> = {
  fields,
  command(c, { capabilities }) {
    if (c.source === 'loaded') {
      if (!capabilities.has('auditd')) return 'auditd is not installed on the host (no auditctl): loaded rules cannot be read';
      return { command: 'auditctl -l', sudo: true };
    }
    // A host without rule files prints nothing: the rule then fails as missing rather than erroring.
    return { command: 'cat /etc/audit/rules.d/*.rules /etc/audit/audit.rules 2>/dev/null; true', sudo: true };
  },
  evaluate(c, result) {
    const expected = `audit rule present: ${c.rule}`;
    if (result.exitCode !== 0) return errorVerdict(expected, commandFailure(result));
    const wanted = normalizeAuditRule(c.rule);
    const lines = result.stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('-'));
    const found = lines.find((l) => normalizeAuditRule(l) === wanted);
    return verdict(found !== undefined, expected, found ? `found: ${found}` : `not found among ${lines.length} rules`);
  },
};

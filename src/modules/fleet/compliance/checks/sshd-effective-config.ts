import { z } from 'zod';
import { type CheckMethod, commandFailure, errorVerdict, text, verdict } from './check-method.js';
import { compareValues, comparator, describeExpectation } from './compare.js';

const fields = z.strictObject({
  method: z.literal('sshd_effective_config'),
  key: z.string().regex(/^[A-Za-z0-9]+$/, 'must be an sshd keyword such as PermitRootLogin'),
  expected: text,
  comparator,
});
type Fields = z.infer<typeof fields>;

/** The value sshd -T prints for a keyword (it prints every keyword lower-case, once), or null. */
export function sshdSetting(stdout: string, key: string): string | null {
  const wanted = key.toLowerCase();
  for (const line of stdout.split('\n')) {
    const [name, ...rest] = line.trim().split(/\s+/);
    if (name?.toLowerCase() === wanted) return rest.join(' ');
  }
  return null;
}

/**
 * sshd_effective_config: what sshd itself resolves from its configuration, drop-ins and defaults (sshd -T), so a
 * setting left at a weak default fails just like one written out. One sshd -T per scan serves every such rule.
 */
export const sshdEffectiveConfigCheck: CheckMethod<Fields> = {
  fields,
  command(_c, { capabilities }) {
    if (!capabilities.has('sshd')) return 'sshd is not installed on the host: its effective configuration cannot be read';
    return { command: 'sshd -T', sudo: true };
  },
  evaluate(c, result) {
    const expected = `${c.key} ${describeExpectation(c.expected, c.comparator)}`;
    if (result.exitCode !== 0) return errorVerdict(expected, commandFailure(result));
    const value = sshdSetting(result.stdout, c.key);
    if (value === null) return verdict(false, expected, `${c.key} is not reported by sshd -T`);
    return verdict(compareValues(value, c.expected, c.comparator, true), expected, `${c.key.toLowerCase()} ${value}`);
  },
};

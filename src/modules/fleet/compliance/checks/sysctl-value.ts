import { z } from 'zod';
import { shellQuote } from '../shell.js';
import { type CheckMethod, commandFailure, errorVerdict, text, verdict } from './check-method.js';
import { compareValues, comparator, describeExpectation } from './compare.js';

const fields = z.strictObject({
  method: z.literal('sysctl_value'),
  key: z.string().regex(/^[a-z0-9_.\-*]+$/i, 'must be a sysctl key such as net.ipv4.ip_forward'),
  expected: text,
  comparator,
});
type Fields = z.infer<typeof fields>;

/** sysctl_value: the running kernel parameter (sysctl -n), compared with a value. */
export const sysctlValueCheck: CheckMethod<Fields> = {
  fields,
  command: (c) => ({ command: `sysctl -n -- ${shellQuote(c.key)}`, sudo: false }),
  evaluate(c, result) {
    const expected = `${c.key} ${describeExpectation(c.expected, c.comparator)}`;
    if (result.exitCode !== 0) {
      if (/cannot stat|No such file/.test(result.stderr)) return verdict(false, expected, `${c.key} does not exist on this kernel`);
      return errorVerdict(expected, commandFailure(result));
    }
    // Multi-valued parameters print tab-separated; rules write them space-separated.
    const value = result.stdout.trim().replace(/\s+/g, ' ');
    return verdict(compareValues(value, c.expected.replace(/\s+/g, ' '), c.comparator), expected, `${c.key} = ${value}`);
  },
};

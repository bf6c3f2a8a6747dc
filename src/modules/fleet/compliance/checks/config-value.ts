import { z } from 'zod';
import { shellQuote } from '../shell.js';
import { absolutePath, type CheckMethod, commandFailure, errorVerdict, fileMissing, text, verdict } from './check-method.js';
import { compareValues, comparator, describeExpectation } from './compare.js';

const fields = z.strictObject({
  method: z.literal('config_value'),
  path: absolutePath,
  key: z.string().min(1),
  expected: text,
  comparator,
  /** Between key and value; whitespace when absent (login.defs, sshd_config), "=" for KEY=value files. */
  separator: z.string().min(1).optional(),
  case_insensitive: z.boolean().default(false),
});
type Fields = z.infer<typeof fields>;

/** The value of the last active `key` line of a config file (comments and blank lines ignored), or null. */
export function configValue(content: string, key: string, separator: string | undefined, caseInsensitive: boolean): string | null {
  const same = (a: string) => (caseInsensitive ? a.toLowerCase() === key.toLowerCase() : a === key);
  let found: string | null = null;
  for (const raw of content.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const at = separator ? line.indexOf(separator) : line.search(/\s/);
    if (at <= 0) continue;
    if (same(line.slice(0, at).trim())) found = unquote(line.slice(at + (separator?.length ?? 1)).trim());
  }
  return found;
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

/** config_value: a key in a configuration file (login.defs, sshd_config, selinux/config) compared with a value. */
export const configValueCheck: CheckMethod<Fields> = {
  fields,
  command: (c) => ({ command: `cat -- ${shellQuote(c.path)}`, sudo: true }),
  evaluate(c, result) {
    const expected = `${c.key} ${describeExpectation(c.expected, c.comparator)} in ${c.path}`;
    if (fileMissing(result)) return verdict(false, expected, `${c.path} does not exist`);
    if (result.exitCode !== 0) return errorVerdict(expected, commandFailure(result));
    const value = configValue(result.stdout, c.key, c.separator, c.case_insensitive);
    if (value === null) return verdict(false, expected, `${c.key} is not set`);
    return verdict(compareValues(value, c.expected, c.comparator, c.case_insensitive), expected, `${c.key} = ${value}`);
  },
};

import { z } from 'zod';
import { type CheckMethod, errorVerdict, text, verdict } from './check-method.js';

const fields = z.strictObject({
  method: z.literal('command'),
  /** A shell command written by the rule author; site variables land in it quoted. */
  run: z.string().min(1),
  expected_exit: z.number().int().min(0).max(255).default(0),
  /** The whole standard output, trimmed, must equal this. */
  expected_stdout: text.optional(),
  /** A regular expression the standard output must match. */
  stdout_pattern: z
    .string()
    .refine((p) => {
      try {
        new RegExp(p, 'm');
        return true;
      } catch {
        return false;
      }
    }, 'must be a valid regular expression')
    .optional(),
  sudo: z.boolean().default(false),
});
type Fields = z.infer<typeof fields>;

/** command: a command's exit code and, optionally, its output. */
export const commandCheck: CheckMethod<Fields> = {
  fields,
  command: (c) => ({ command: c.run, sudo: c.sudo }),
  evaluate(c, result) {
    const wanted = [`exit ${c.expected_exit}`];
    if (c.expected_stdout !== undefined) wanted.push(`stdout "${c.expected_stdout}"`);
    if (c.stdout_pattern !== undefined) wanted.push(`stdout matching /${c.stdout_pattern}/`);
    const expected = wanted.join(', ');
    if (result.timedOut || result.exitCode === null) return errorVerdict(expected, 'the command timed out or was killed');
    const out = result.stdout.trim();
    const ok =
      result.exitCode === c.expected_exit &&
      (c.expected_stdout === undefined || out === c.expected_stdout.trim()) &&
      (c.stdout_pattern === undefined || new RegExp(c.stdout_pattern, 'm').test(out));
    return verdict(ok, expected, `exit ${result.exitCode}${out ? `, stdout "${out.length > 200 ? `${out.slice(0, 200)}...` : out}"` : ''}`);
  },
};

import { z } from 'zod';
import { type CheckMethod, commandFailure, errorVerdict, text, verdict } from './check-method.js';

const fields = z.strictObject({
  method: z.literal('set_compare'),
  /** A shell command written by the rule author printing one item per line; site variables land in it quoted. */
  run: z.string().min(1),
  expected: z.array(text).default([]),
  /**
   * equal: the items are exactly the expected ones; subset: every item is among the expected ones (accounts with
   * UID 0 within [root]); superset: every expected item is there; disjoint: none of the expected items is there.
   */
  comparison: z.enum(['equal', 'subset', 'superset', 'disjoint']).default('equal'),
  sudo: z.boolean().default(false),
});
type Fields = z.infer<typeof fields>;

function holds(actual: Set<string>, expected: Set<string>, comparison: Fields['comparison']): boolean {
  const within = (a: Set<string>, b: Set<string>) => [...a].every((x) => b.has(x));
  if (comparison === 'equal') return within(actual, expected) && within(expected, actual);
  if (comparison === 'subset') return within(actual, expected);
  if (comparison === 'superset') return within(expected, actual);
  return [...actual].every((x) => !expected.has(x));
}

/** set_compare: the lines a command prints, as a set, against an expected set. */
export const setCompareCheck: CheckMethod<Fields> = {
  fields,
  command: (c) => ({ command: c.run, sudo: c.sudo }),
  evaluate(c, result) {
    const expected = `${c.comparison} [${c.expected.join(', ')}]`;
    if (result.exitCode !== 0) return errorVerdict(expected, commandFailure(result));
    const items = new Set(result.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
    return verdict(holds(items, new Set(c.expected), c.comparison), expected, `[${[...items].join(', ')}]`);
  },
};

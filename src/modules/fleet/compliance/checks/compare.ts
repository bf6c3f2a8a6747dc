import { z } from 'zod';

/**
 * How a check compares what it found with what the rule expects. Ordering comparators compare numbers; == and !=
 * compare numbers when both sides are numbers, else text. `in` accepts any of the `|`-separated expected values;
 * `excludes` fails when a comma-separated item of the actual value is one of the expected ones (weak ciphers).
 */
export const comparator = z.enum(['==', '!=', '>=', '<=', '>', '<', 'in', 'excludes']).default('==');
export type Comparator = z.infer<typeof comparator>;

export class ComparisonError extends Error {}

function number(value: string): number | null {
  return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : null;
}

export function compareValues(actual: string, expected: string, op: Comparator, caseInsensitive = false): boolean {
  const norm = (v: string) => (caseInsensitive ? v.trim().toLowerCase() : v.trim());
  const [a, e] = [norm(actual), norm(expected)];
  if (op === 'in') return e.split('|').map((x) => x.trim()).includes(a);
  if (op === 'excludes') {
    const banned = new Set(e.split(/[|,]/).map((x) => x.trim()));
    return !a.split(',').some((item) => banned.has(item.trim()));
  }
  const [na, ne] = [number(a), number(e)];
  if (op === '==') return na !== null && ne !== null ? na === ne : a === e;
  if (op === '!=') return na !== null && ne !== null ? na !== ne : a !== e;
  if (ne === null) throw new ComparisonError(`expected value "${expected}" is not a number, which ${op} needs`);
  if (na === null) return false; // a non-numeric setting cannot satisfy a numeric bound
  return op === '>=' ? na >= ne : op === '<=' ? na <= ne : op === '>' ? na > ne : na < ne;
}

/** How the expectation reads in evidence: "<= 365", "== no". */
export function describeExpectation(expected: string, op: Comparator): string {
  if (op === 'in') return `one of ${expected}`;
  if (op === 'excludes') return `none of ${expected}`;
  return `${op} ${expected}`;
}

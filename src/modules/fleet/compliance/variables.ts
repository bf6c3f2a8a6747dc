import { shellQuote } from './shell.js';

/**
 * Site variables: rule fields may hold `{{ name }}`, filled at evaluation from the caller's values, else the rule
 * directory's variables file, else the rule's own defaults.
 */

const TEMPLATE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The names a value (string, list or nested object) refers to. */
export function variableNames(value: unknown): string[] {
  const names = new Set<string>();
  const visit = (v: unknown) => {
    if (typeof v === 'string') for (const m of v.matchAll(TEMPLATE)) names.add(m[1]);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(value);
  return [...names];
}

export class UndefinedVariableError extends Error {
  constructor(readonly variable: string) {
    super(`variable "${variable}" has no value (define it in the rule's variables, the variables file, or the scan)`);
  }
}

/**
 * Fills every template in a value. Fields named in `shellFields` hold shell commands written by the rule author: a
 * variable lands there as one quoted shell word, so a site value can never become shell syntax.
 */
export function resolveVariables<T>(value: T, values: Record<string, string>, shellFields: readonly string[] = []): T {
  const fill = (text: string, quote: boolean) =>
    text.replace(TEMPLATE, (_, name: string) => {
      const v = values[name];
      if (v === undefined) throw new UndefinedVariableError(name);
      return quote ? shellQuote(v) : v;
    });
  const visit = (v: unknown, quote: boolean): unknown => {
    if (typeof v === 'string') return fill(v, quote);
    if (Array.isArray(v)) return v.map((item) => visit(item, quote));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, visit(item, quote || shellFields.includes(k))]));
    }
    return v;
  };
  return visit(value, false) as T;
}

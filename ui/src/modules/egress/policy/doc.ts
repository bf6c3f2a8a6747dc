import { isMap, isSeq, parseDocument, stringify } from 'yaml';

/** A policy document as GET /api/v1/policy gives it; fields the form does not edit ride along untouched. */
export interface PolicyDoc {
  default_policy: string | null;
  source_groups: Group[];
}
export interface Group {
  id: string;
  mode?: string | null;
  priority?: number | null;
  sources: { cidrs?: string[]; ips?: string[]; [k: string]: unknown };
  rules: Rule[];
  default_action?: string | null;
  [k: string]: unknown;
}
export interface Rule {
  id: string;
  action: string;
  match: { dns_hostname?: string | null; dst_cidrs?: string[]; proto?: string | number | null; dst_ports?: (string | number)[]; [k: string]: unknown };
  [k: string]: unknown;
}

export interface Issue {
  path: string;
  message: string;
}

export const newGroup = (n: number): Group => ({ id: `group-${n}`, mode: 'enforce', sources: { cidrs: [] }, rules: [], default_action: 'deny' });
export const newRule = (n: number): Rule => ({ id: `rule-${n}`, action: 'allow', match: {} });

/** What the form holds as typed (blank lines of a list while one is being added) made into what the API reads. */
export function normalized(doc: PolicyDoc): PolicyDoc {
  const list = <T,>(items: T[] | undefined) => items?.map((i) => (typeof i === 'string' ? i.trim() : i)).filter((i) => i !== '') as T[] | undefined;
  return {
    ...doc,
    source_groups: doc.source_groups.map((g) => ({
      ...g,
      sources: { ...g.sources, cidrs: list(g.sources.cidrs), ips: list(g.sources.ips) },
      rules: g.rules.map((r) => ({
        ...r,
        match: { ...r.match, dns_hostname: r.match.dns_hostname || null, dst_cidrs: list(r.match.dst_cidrs), proto: numeric(r.match.proto ?? null), dst_ports: list(r.match.dst_ports)?.map(numeric) },
      })),
    })),
  };
}

/** "443" is a port number and "6" a protocol number; "8000-8080" and "tcp" stay strings (the API takes both). */
const numeric = <T,>(p: T) => (typeof p === 'string' && /^\d+$/.test(p) ? Number(p) : p);

export const toYamlText = (doc: PolicyDoc) => stringify(doc, { lineWidth: 0 });

/** The YAML text as a document, or why it is not one. */
export function fromYamlText(text: string): { doc: PolicyDoc } | { error: string } {
  const parsed = parseDocument(text);
  if (parsed.errors.length) return { error: parsed.errors[0].message };
  const value = parsed.toJS() as PolicyDoc | null;
  if (!value || typeof value !== 'object' || !Array.isArray(value.source_groups)) return { error: 'The document needs a source_groups list.' };
  return { doc: value };
}

/** The issues at a field: its own, and those of its items ("...cidrs[1]" belongs to the cidrs list). */
export function issuesAt(issues: Issue[], path: string): string | undefined {
  const mine = issues.filter((i) => i.path === path || i.path.startsWith(`${path}[`));
  return mine.length ? mine.map((i) => i.message).join('; ') : undefined;
}

/** A failed save's message ("policy.a[0].b: why; policy.c: why") as issues, for the same field markers. */
export function issuesOfMessage(message: string): Issue[] {
  return message.split('; ').map((part) => {
    const at = part.indexOf(': ');
    return at > 0 && /^(policy|mode|name)\b/.test(part) ? { path: part.slice(0, at), message: part.slice(at + 2) } : { path: 'policy', message: part };
  });
}

/** "policy.source_groups[0].rules[1]" as keys into the document: ['source_groups', 0, 'rules', 1]. */
function keysOf(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1])).slice(1);
}

/** Where an issue sits in the YAML text: the nearest node its path reaches (a missing field marks its parent). */
export function yamlRange(text: string, path: string): { from: number; to: number } {
  const doc = parseDocument(text);
  const keys = keysOf(path);
  for (let n = keys.length; n > 0; n--) {
    const node = doc.getIn(keys.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range && !isMap(node) && !isSeq(node)) return { from: node.range[0], to: node.range[1] };
    if (node && typeof node === 'object' && node.range) return { from: node.range[0], to: Math.min(node.range[1], text.indexOf('\n', node.range[0]) >>> 0) };
  }
  return { from: 0, to: Math.min(text.length, Math.max(0, text.indexOf('\n'))) };
}

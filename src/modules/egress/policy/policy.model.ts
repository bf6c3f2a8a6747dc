import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { isIpAddress, parseCidr } from './ip.js';
import { translateRustRegex } from './rust-regex.js';
import type { PolicyConfig, SourceGroup } from './policy.types.js';
import { sameJson } from '../compiler/compile-cache.js';

/**
 * The zod model of Neuwerk's PolicyConfig (policy.types.ts), with the checks beyond shape that Neuwerk makes when it
 * compiles: regexes compile, addresses and ports parse, ICMP and TLS fields only with a protocol that has them, ids
 * unique. Objects are strict: a misspelt match field ("dst_port") would otherwise match everything, silently.
 * Values are stored as sent but for null members, which mean "not set" (Neuwerk serialises every absent optional
 * field as null); enum values are accepted in any case, and policy.effective.ts normalises them for the compiler.
 */

export const MAX_REGEX_LENGTH = 1_000;
const MAX_ID_LENGTH = 128;
const MAX_DEPTH = 32;
const PROTO_NAMES = ['any', 'tcp', 'udp', 'icmp', 'icmpv6'] as const;
/** Protocols that carry ICMP types and codes (by name or number); Neuwerk refuses ports with them. */
const ICMP_PROTOS = new Set(['icmp', 'icmpv6', '1', '58']);

const issue = (ctx: z.RefinementCtx, message: string, path: (string | number)[] = []) =>
  ctx.addIssue({ code: 'custom', message, path });

/**
 * Why a pattern is not a regex Neuwerk would accept and Rampart can run the same (rust-regex.ts), or null.
 * `caseInsensitive` is how Neuwerk compiles the field.
 */
export function regexProblem(pattern: string, caseInsensitive = true): string | null {
  if (pattern.length > MAX_REGEX_LENGTH) return `the regex is longer than ${MAX_REGEX_LENGTH} characters`;
  const translated = translateRustRegex(pattern, caseInsensitive);
  return translated.ok ? null : translated.message;
}

const regexOf = (caseInsensitive: boolean) =>
  z.string().superRefine((pattern, ctx) => {
    const problem = regexProblem(pattern, caseInsensitive);
    if (problem) issue(ctx, problem);
  });
/** dns_hostname, TLS names and HTTP hosts compile case-insensitively in Neuwerk; paths, queries and headers do not. */
const regex = regexOf(true);
const caseSensitiveRegex = regexOf(false);

/** An enum Neuwerk parses case-insensitively ("Deny", "ALLOW", "Enforce"); stored as sent, lower-cased for the compiler (policy.effective.ts). */
const anyCase = <T extends string>(values: readonly T[]) =>
  z.string({ error: `must be one of ${values.join(', ')}` }).refine((value) => (values as readonly string[]).includes(value.trim().toLowerCase()), {
    error: (i) => `${JSON.stringify(i.input)} is not one of ${values.join(', ')}`,
  });

const id = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`)
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), 'must not contain control characters');

const priority = z.number().int('must be an integer').min(0).max(0xffff_ffff);
const action = anyCase(['allow', 'deny'] as const);
const groupMode = anyCase(['enforce', 'audit'] as const);
const nonEmpty = z.string().refine((value) => value.trim() !== '', 'must not be empty');

/** A string that passes `problem` (which says what is wrong, or null). */
const checkedString = (problem: (value: string) => string | null) =>
  z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message) issue(ctx, message);
  });

const cidr = checkedString((value) => (parseCidr(value) ? null : `${JSON.stringify(value)} is not a CIDR (IPv4 or IPv6)`));
const ip = checkedString((value) => (isIpAddress(value) ? null : `${JSON.stringify(value)} is not an IP address (IPv4 or IPv6)`));

/** A port (0..65535) or "lo-hi" with lo <= hi. */
export function parsePortSpec(spec: number | string): [number, number] | null {
  const port = (value: string | number) => {
    const n = typeof value === 'number' ? value : /^\s*\d{1,5}\s*$/.test(value) ? Number(value) : NaN;
    return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
  };
  if (typeof spec === 'number') {
    const single = port(spec);
    return single === null ? null : [single, single];
  }
  const dash = spec.indexOf('-');
  if (dash === -1) {
    const single = port(spec);
    return single === null ? null : [single, single];
  }
  const lo = port(spec.slice(0, dash));
  const hi = port(spec.slice(dash + 1));
  return lo === null || hi === null || lo > hi ? null : [lo, hi];
}

const portSpec = z.union([z.number(), z.string()], { error: 'must be a port number or a "lo-hi" range string' }).superRefine((spec, ctx) => {
  if (parsePortSpec(spec) !== null) return;
  const range = typeof spec === 'string' ? spec.match(/^\s*(\d+)\s*-\s*(\d+)\s*$/) : null;
  if (range && Number(range[1]) > Number(range[2]) && Number(range[1]) <= 65535) {
    return issue(ctx, `${JSON.stringify(spec)} is not a port or a range: its start is above its end`);
  }
  issue(ctx, `${JSON.stringify(spec)} is not a port or a range (0..65535, or "lo-hi")`);
});

/** The protocol as a lower-case name or a decimal number string, or null when it is not one. */
export function protoKey(proto: string | number): string | null {
  if (typeof proto === 'number') return Number.isInteger(proto) && proto >= 0 && proto <= 255 ? String(proto) : null;
  const text = proto.trim().toLowerCase();
  if ((PROTO_NAMES as readonly string[]).includes(text)) return text;
  return /^\d{1,3}$/.test(text) && Number(text) <= 255 ? String(Number(text)) : null;
}

const proto = z.union([z.string(), z.number()], { error: 'must be a protocol name or number' }).superRefine((value, ctx) => {
  if (protoKey(value) === null) issue(ctx, `${JSON.stringify(value)} is not a protocol: use ${PROTO_NAMES.join(', ')} or a number 0..255`);
});

const icmpValue = z.number().int('must be an integer').min(0, 'must be 0..255').max(255, 'must be 0..255');

const stringList = z.array(z.string());
/** A regex string, a list of exact names, or {exact, regex}: checked after the union so the precise problem is reported. */
const nameMatch = z
  .union([z.string(), z.array(nonEmpty), z.strictObject({ exact: z.array(nonEmpty).optional(), regex: z.string().optional() })], {
    error: 'must be a regex string, a list of exact names, or {exact, regex}',
  })
  .superRefine((m, ctx) => {
    const pattern = typeof m === 'string' ? m : Array.isArray(m) ? undefined : m.regex;
    const problem = pattern === undefined ? null : regexProblem(pattern);
    if (problem) return issue(ctx, problem, typeof m === 'string' ? [] : ['regex']);
    const exact = typeof m === 'string' ? [] : Array.isArray(m) ? m : (m.exact ?? []);
    if (pattern === undefined && exact.length === 0) issue(ctx, 'needs exact names or a regex');
  });

const headersMatch = z
  .strictObject({
    require_present: stringList.optional(),
    deny_present: stringList.optional(),
    exact: z.record(nonEmpty, z.array(z.string()).min(1, 'must list at least one value')).optional(),
    regex: z.record(nonEmpty, caseSensitiveRegex).optional(),
  })
  .refine((h) => Object.values(h).some((v) => (Array.isArray(v) ? v.length > 0 : v && Object.keys(v).length > 0)), 'the header matcher is empty');

const httpPolicy = z
  .strictObject({
    request: z
      .strictObject({
        host: z
          .strictObject({ exact: stringList.optional(), regex: regex.optional() })
          .refine((m) => (m.exact?.length ?? 0) > 0 || m.regex !== undefined, 'needs exact hosts or a regex')
          .optional(),
        methods: z.array(nonEmpty).optional(),
        path: z
          .strictObject({ exact: stringList.optional(), prefix: stringList.optional(), regex: caseSensitiveRegex.optional() })
          .refine((m) => (m.exact?.length ?? 0) + (m.prefix?.length ?? 0) > 0 || m.regex !== undefined, 'needs exact paths, prefixes or a regex')
          .optional(),
        query: z
          .strictObject({
            keys_present: stringList.optional(),
            key_values_exact: z.record(nonEmpty, z.array(z.string()).min(1, 'must list at least one value')).optional(),
            key_values_regex: z.record(nonEmpty, caseSensitiveRegex).optional(),
          })
          .optional(),
        headers: headersMatch.optional(),
      })
      .optional(),
    response: z.strictObject({ headers: headersMatch.optional() }).optional(),
  })
  .refine((h) => h.request !== undefined || h.response !== undefined, 'needs request and/or response constraints');

const fingerprint = checkedString((value) =>
  /^[0-9a-f]{64}$/i.test(value.replace(/[\s:]/g, '')) ? null : `${JSON.stringify(value.slice(0, 100))} is not a SHA-256 fingerprint (64 hex digits, colons allowed)`,
);

const pemCertificates = z.string().superRefine((pem, ctx) => {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return issue(ctx, 'is not a PEM certificate (no BEGIN CERTIFICATE block)');
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch {
      issue(ctx, `certificate ${i + 1} of the PEM does not parse`);
    }
  });
});

const tlsMatch = z
  .strictObject({
    mode: anyCase(['metadata', 'intercept'] as const).optional(),
    sni: nameMatch.optional(),
    server_san: nameMatch.optional(),
    server_cn: nameMatch.optional(),
    /** An exact distinguished name (Neuwerk compares it normalised), not a regex. */
    server_dn: nonEmpty.optional(),
    fingerprint_sha256: z.array(fingerprint).optional(),
    trust_anchors_pem: z.array(pemCertificates).optional(),
    tls13_uninspectable: action.optional(),
    http: httpPolicy.optional(),
  })
  .superRefine((tls, ctx) => {
    if ((tls.mode ?? 'metadata').trim().toLowerCase() === 'metadata') {
      if (tls.http) issue(ctx, 'tls.http is only valid when tls.mode is intercept', ['http']);
      return;
    }
    const metadata = (['sni', 'server_san', 'server_cn', 'server_dn', 'fingerprint_sha256', 'trust_anchors_pem'] as const).filter(
      (field) => tls[field] !== undefined && !(Array.isArray(tls[field]) && (tls[field] as unknown[]).length === 0),
    );
    if (metadata.length > 0) issue(ctx, `tls.mode intercept cannot be combined with metadata matchers (${metadata.join(', ')})`, ['mode']);
    if (!tls.http) issue(ctx, 'tls.mode intercept requires tls.http constraints', ['mode']);
  });

const ruleMatch = z
  .strictObject({
    dst_cidrs: z.array(cidr).optional(),
    dst_ips: z.array(ip).optional(),
    proto: proto.optional(),
    src_ports: z.array(portSpec).optional(),
    dst_ports: z.array(portSpec).optional(),
    icmp_types: z.array(icmpValue).optional(),
    icmp_codes: z.array(icmpValue).optional(),
    dns_hostname: regex.optional(),
    tls: tlsMatch.optional(),
  })
  .superRefine((match, ctx) => {
    const key = match.proto === undefined ? 'any' : protoKey(match.proto)!;
    const named = match.proto === undefined ? 'no proto' : `proto ${JSON.stringify(match.proto)}`;
    // Neuwerk's rule: ICMP fields with an ICMP protocol or none ("any"); ports with any protocol but ICMP (a number
    // such as 6 or 17 included); TLS over TCP only.
    for (const field of ['icmp_types', 'icmp_codes'] as const) {
      if (match[field]?.length && key !== 'any' && !ICMP_PROTOS.has(key)) {
        issue(ctx, `${field} needs proto icmp or icmpv6 (or no proto), not ${named}`, [field]);
      }
    }
    for (const field of ['src_ports', 'dst_ports'] as const) {
      if (match[field]?.length && ICMP_PROTOS.has(key)) issue(ctx, `ports are not valid with ${named}`, [field]);
    }
    if (match.tls && key !== 'any' && key !== 'tcp' && key !== '6') issue(ctx, `tls needs proto tcp (or no proto), not ${named}`, ['tls']);
  });

const rule = z.strictObject({
  id,
  priority: priority.optional(),
  action,
  mode: groupMode.optional(),
  match: ruleMatch,
});

const labels = z.record(nonEmpty, nonEmpty);
const kubernetesSource = z
  .strictObject({
    integration: nonEmpty,
    pod_selector: z.strictObject({ namespace: nonEmpty, match_labels: labels.optional() }).optional(),
    node_selector: z.strictObject({ match_labels: labels.optional() }).optional(),
  })
  .refine((k) => (k.pod_selector === undefined) !== (k.node_selector === undefined), 'set exactly one of pod_selector or node_selector');

const sources = z
  .strictObject({
    cidrs: z.array(cidr).optional(),
    ips: z.array(ip).optional(),
    kubernetes: z.array(kubernetesSource).optional(),
  })
  .refine((s) => (s.cidrs?.length ?? 0) + (s.ips?.length ?? 0) + (s.kubernetes?.length ?? 0) > 0, 'sources cannot be empty (give cidrs, ips or kubernetes)');

const sourceGroup = z
  .strictObject({
    id,
    mode: groupMode.optional(),
    priority: priority.optional(),
    sources,
    rules: z.array(rule).default([]),
    default_action: action.optional(),
  })
  .superRefine((group, ctx) => duplicates(group.rules.map((r) => r.id)).forEach(([dup, i]) => issue(ctx, `duplicate rule id ${JSON.stringify(dup)} in this group`, ['rules', i, 'id'])));

export const policyConfigSchema = z
  .strictObject({
    default_policy: action.optional(),
    source_groups: z.array(sourceGroup).default([]),
  })
  .superRefine((policy, ctx) =>
    duplicates(policy.source_groups.map((g) => g.id)).forEach(([dup, i]) => issue(ctx, `duplicate source group id ${JSON.stringify(dup)}`, ['source_groups', i, 'id'])),
  );

/** Every later occurrence of a value seen before, with its index. */
function duplicates(values: string[]): [string, number][] {
  const seen = new Set<string>();
  const out: [string, number][] = [];
  values.forEach((value, i) => (seen.has(value) ? out.push([value, i]) : seen.add(value)));
  return out;
}

/** "policy.source_groups[0].rules[2].match.dst_ports[1]" */
export function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

/** One problem of a policy, at the path a policy author reads ("policy.source_groups[0].id"). */
export interface PolicyIssue {
  path: string;
  message: string;
}

/** Every issue of a failed parse, each at its own path (an editor marks each field). */
export function issueList(issues: z.core.$ZodIssue[], root: string): PolicyIssue[] {
  return issues.map((i) => ({
    path: formatPath([root, ...i.path]),
    message: i.code === 'unrecognized_keys' ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => JSON.stringify(k)).join(', ')}` : i.message,
  }));
}

/** The issues of a failed parse as one message: each with its path, the first few only. */
export function describeIssues(issues: z.core.$ZodIssue[], root: string, max = 5): string {
  const parts = issueList(issues.slice(0, max), root).map((i) => `${i.path}: ${i.message}`);
  const more = issues.length > max ? ` (and ${issues.length - max} more)` : '';
  return parts.join('; ') + more;
}

/**
 * The value without object members that are null: Neuwerk serialises every absent optional field as null, and a
 * null means "not set" wherever a field is optional. A required field sent as null is then reported missing.
 * Array elements are kept, so `[null]` is still refused.
 */
export function withoutNulls(value: unknown, depth = 0): unknown {
  // A PolicyConfig is about ten levels deep; deeper input is left for the schema to refuse, not walked (a 2 MiB body
  // of nested arrays would otherwise exhaust the stack).
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => withoutNulls(item, depth + 1));
  // A loop, not entries/filter/map/fromEntries: a large policy has a million values, and each step allocated.
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const v = (value as Record<string, unknown>)[key];
    if (v === null) continue;
    if (key === '__proto__') Object.defineProperty(out, key, { value: withoutNulls(v, depth + 1), enumerable: true, writable: true, configurable: true });
    else out[key] = withoutNulls(v, depth + 1);
  }
  return out;
}

/** The top level of a PolicyConfig; its groups are checked one by one (parseGroups), each with the group schema. */
const policyShell = z.strictObject({
  default_policy: action.optional(),
  source_groups: z.array(z.unknown()).default([]),
});

/**
 * The groups of the last parse, by id: the raw group as sent and what checking it gave. A group sent again as it
 * was (compared structurally, nulls and all) is not checked again and yields the same object, which the effective
 * policy, the compile cache and the stored parts then recognise by identity: a one-rule change to a policy of a
 * thousand groups checks one group. Holds what the last parse saw and nothing else; parsed groups are never changed.
 */
let lastGroups = new Map<string, { raw: unknown; group: SourceGroup }>();

function groupIdOf(raw: unknown): string | null {
  const id = raw !== null && typeof raw === 'object' ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : null;
}

/** Each group checked (or reused unchanged), with its problems at their paths under source_groups[i]. */
function parseGroups(raws: unknown[]): { groups: SourceGroup[]; issues: z.core.$ZodIssue[] } {
  const seen = new Map<string, { raw: unknown; group: SourceGroup }>();
  const groups: SourceGroup[] = [];
  const issues: z.core.$ZodIssue[] = [];
  raws.forEach((raw, i) => {
    const id = groupIdOf(raw);
    const last = id === null ? undefined : lastGroups.get(id);
    if (last && sameJson(last.raw, raw)) {
      groups.push(last.group);
      seen.set(id!, last);
      return;
    }
    const result = sourceGroup.safeParse(withoutNulls(raw, 2));
    if (!result.success) {
      for (const issue of result.error.issues) issues.push({ ...issue, path: ['source_groups', i, ...issue.path] });
      return;
    }
    const group = result.data as SourceGroup;
    groups.push(group);
    if (id !== null) seen.set(id, { raw, group });
  });
  lastGroups = seen;
  return { groups, issues };
}

/** The value's own members but those that are null (the top level of withoutNulls). */
function withoutNullMembers(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (Object.hasOwn(value, key) && v !== null) Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Validates the shape and the per-field rules; the result is the policy as stored (nulls dropped, values as sent).
 * The same checks as policyConfigSchema, the groups taken one by one so that unchanged ones are not checked again.
 */
export function parsePolicyConfig(input: unknown): { ok: true; policy: PolicyConfig } | { ok: false; message: string; issues: PolicyIssue[] } {
  if (input === undefined || input === null) return { ok: false, message: 'policy: required', issues: [{ path: 'policy', message: 'required' }] };
  const fail = (issues: z.core.$ZodIssue[]) => ({ ok: false as const, message: describeIssues(issues, 'policy'), issues: issueList(issues, 'policy') });
  const shell = policyShell.safeParse(withoutNullMembers(input));
  const raws = Array.isArray((input as { source_groups?: unknown }).source_groups) ? ((input as { source_groups: unknown[] }).source_groups) : [];
  const { groups, issues } = parseGroups(raws);
  if (!shell.success) return fail([...shell.error.issues.filter((i) => i.path[0] !== 'source_groups' || i.path.length === 1), ...issues]);
  if (issues.length) return fail(issues);
  const duplicate = duplicates(groups.map((g) => g.id)).map(([dup, i]): z.core.$ZodIssue => ({ code: 'custom', message: `duplicate source group id ${JSON.stringify(dup)}`, path: ['source_groups', i, 'id'], input: dup }));
  if (duplicate.length) return fail(duplicate);
  const policy: PolicyConfig = { ...(shell.data.default_policy === undefined ? {} : { default_policy: shell.data.default_policy }), source_groups: groups } as PolicyConfig;
  return { ok: true, policy };
}

/** The kubernetes integrations a policy names, once each. */
export function referencedIntegrations(policy: PolicyConfig): string[] {
  return [...new Set(policy.source_groups.flatMap((g) => (g.sources.kubernetes ?? []).map((k) => k.integration.trim())))];
}

/** Per parsed group (immutable), the indexes of its rules that intercept TLS: a write looks at its changed groups only. */
const interceptingOf = new WeakMap<SourceGroup, number[]>();

/** Paths of the rules that ask for TLS interception (they need a configured TLS-intercept CA). */
export function interceptingRules(policy: PolicyConfig): string[] {
  return policy.source_groups.flatMap((g, gi) => {
    let rules = interceptingOf.get(g);
    if (!rules) interceptingOf.set(g, (rules = g.rules.flatMap((r, ri) => (r.match.tls?.mode?.trim().toLowerCase() === 'intercept' ? [ri] : []))));
    return rules.map((ri) => formatPath(['policy', 'source_groups', gi, 'rules', ri, 'match', 'tls', 'mode']));
  });
}

import type { HttpHeadersMatch, HttpPolicy, KubernetesSource, PolicyConfig, Rule, RuleMatch, SourceGroup, TlsMatch, TlsNameMatch } from './policy.types.js';

/**
 * A PolicyConfig in the form Neuwerk serialises it (GET /api/v1/policy): every field present, null where an optional
 * value is absent, [] and {} where a list or map is empty. Values are as stored (enum spelling as the client sent it),
 * so a document read from Neuwerk and written here reads back the same. A group without a mode reads as enforce,
 * Neuwerk's only required spelling of the default.
 */
export function toNeuwerkDocument(policy: PolicyConfig): Record<string, unknown> {
  return { default_policy: policy.default_policy ?? null, source_groups: policy.source_groups.map(group) };
}

const list = <T>(value: T[] | undefined): T[] => value ?? [];
const map = <T>(value: Record<string, T> | undefined): Record<string, T> => value ?? {};
const orNull = <T, R>(value: T | undefined, render: (v: T) => R): R | null => (value === undefined ? null : render(value));

function group(g: SourceGroup) {
  return {
    id: g.id,
    priority: g.priority ?? null,
    mode: g.mode ?? 'enforce',
    sources: { cidrs: list(g.sources.cidrs), ips: list(g.sources.ips), kubernetes: list(g.sources.kubernetes).map(kubernetes) },
    rules: g.rules.map(rule),
    default_action: g.default_action ?? null,
  };
}

function kubernetes(k: KubernetesSource) {
  return {
    integration: k.integration,
    pod_selector: orNull(k.pod_selector, (p) => ({ namespace: p.namespace, match_labels: map(p.match_labels) })),
    node_selector: orNull(k.node_selector, (n) => ({ match_labels: map(n.match_labels) })),
  };
}

function rule(r: Rule) {
  return { id: r.id, priority: r.priority ?? null, action: r.action, mode: r.mode ?? null, match: match(r.match) };
}

function match(m: RuleMatch) {
  return {
    dst_cidrs: list(m.dst_cidrs),
    dst_ips: list(m.dst_ips),
    dns_hostname: m.dns_hostname ?? null,
    proto: m.proto ?? null,
    src_ports: list(m.src_ports),
    dst_ports: list(m.dst_ports),
    icmp_types: list(m.icmp_types),
    icmp_codes: list(m.icmp_codes),
    tls: orNull(m.tls, tls),
  };
}

function tls(t: TlsMatch) {
  return {
    mode: t.mode ?? null,
    sni: orNull(t.sni, name),
    server_dn: t.server_dn ?? null,
    server_san: orNull(t.server_san, name),
    server_cn: orNull(t.server_cn, name),
    fingerprint_sha256: list(t.fingerprint_sha256),
    trust_anchors_pem: list(t.trust_anchors_pem),
    tls13_uninspectable: t.tls13_uninspectable ?? null,
    http: orNull(t.http, http),
  };
}

/** Neuwerk's untagged name matcher keeps its shape: a regex string, a list, or {exact, regex}. */
function name(n: TlsNameMatch) {
  return typeof n === 'string' || Array.isArray(n) ? n : { exact: list(n.exact), regex: n.regex ?? null };
}

function http(h: HttpPolicy) {
  const req = h.request;
  return {
    request: orNull(req, (q) => ({
      host: orNull(q.host, (v) => ({ exact: list(v.exact), regex: v.regex ?? null })),
      methods: list(q.methods),
      path: orNull(q.path, (v) => ({ exact: list(v.exact), prefix: list(v.prefix), regex: v.regex ?? null })),
      query: orNull(q.query, (v) => ({ keys_present: list(v.keys_present), key_values_exact: map(v.key_values_exact), key_values_regex: map(v.key_values_regex) })),
      headers: orNull(q.headers, headers),
    })),
    response: orNull(h.response, (p) => ({ headers: orNull(p.headers, headers) })),
  };
}

function headers(h: HttpHeadersMatch) {
  return { require_present: list(h.require_present), deny_present: list(h.deny_present), exact: map(h.exact), regex: map(h.regex) };
}

/**
 * Neuwerk's policy model (../shared/research/neuwerk.md), field names as its API spells them. A PolicyConfig is
 * what clients send inside a policy record; the active record becomes the EffectivePolicy, which
 * the compiler turns into an nftables ruleset and a DNS policy.
 */
export type Action = 'allow' | 'deny';
export type GroupMode = 'enforce' | 'audit';
/**
 * An enum value as the client spelled it: Neuwerk reads policy enums case-insensitively ("Deny", "ALLOW", "Enforce"),
 * so records keep what was sent and policy.effective.ts lower-cases it for the compiler (EffectiveRule).
 */
export type AnyCase<T extends string> = T | (string & {});
/** A record's mode: enforce and audit records are active (audit turns every deny of its groups into a recorded allow); disabled ones are stored only. */
export type RecordMode = 'enforce' | 'audit' | 'disabled';

export interface PolicyConfig {
  /** What happens to traffic no source group claims. Default deny. */
  default_policy?: AnyCase<Action>;
  source_groups: SourceGroup[];
}

export interface SourceGroup {
  id: string;
  mode?: AnyCase<GroupMode>;
  /** Lower first; groups without one keep list order after those with one. */
  priority?: number;
  sources: Sources;
  rules: Rule[];
  /** When no rule matches. Default deny. */
  default_action?: AnyCase<Action>;
}

export interface Sources {
  cidrs?: string[];
  ips?: string[];
  kubernetes?: KubernetesSource[];
}

export interface KubernetesSource {
  /** Name of a kubernetes integration. */
  integration: string;
  pod_selector?: { namespace: string; match_labels?: Record<string, string> };
  node_selector?: { match_labels?: Record<string, string> };
}

export interface Rule {
  id: string;
  priority?: number;
  action: AnyCase<Action>;
  /** Overrides the group's mode for this rule. */
  mode?: AnyCase<GroupMode>;
  match: RuleMatch;
}

/** A rule as the compiler reads it: enums lower-case, the protocol spelled canonically (policy.effective.ts). */
export interface EffectiveRule extends Omit<Rule, 'action' | 'mode'> {
  action: Action;
  mode?: GroupMode;
}

export interface RuleMatch {
  dst_cidrs?: string[];
  dst_ips?: string[];
  /** Name (tcp, udp, icmp, ...) or IP protocol number. */
  proto?: string | number;
  /** Numbers or "80-81" ranges. */
  src_ports?: Array<number | string>;
  dst_ports?: Array<number | string>;
  icmp_types?: number[];
  icmp_codes?: number[];
  /** Case-insensitive regex over the queried name; anchor it yourself: "^api\\.example\\.com$". */
  dns_hostname?: string;
  tls?: TlsMatch;
}

/** Accepted and validated; enforced only as far as the compiler documents (Rampart has no TLS-inspecting data plane yet). */
export interface TlsMatch {
  /** metadata (default): match the handshake; intercept: terminate with the TLS-intercept CA and match HTTP. */
  mode?: AnyCase<'metadata' | 'intercept'>;
  sni?: TlsNameMatch;
  server_san?: TlsNameMatch;
  server_cn?: TlsNameMatch;
  /** An exact distinguished name of the server certificate's subject (compared normalised), not a regex. */
  server_dn?: string;
  fingerprint_sha256?: string[];
  trust_anchors_pem?: string[];
  tls13_uninspectable?: AnyCase<'allow' | 'deny'>;
  /** Only with mode intercept. */
  http?: HttpPolicy;
}

/** A name matcher as Neuwerk spells it: a regex, a list of exact names, or both. */
export type TlsNameMatch = string | string[] | { exact?: string[]; regex?: string };

export interface HttpPolicy {
  request?: {
    host?: { exact?: string[]; regex?: string };
    methods?: string[];
    path?: { exact?: string[]; prefix?: string[]; regex?: string };
    query?: { keys_present?: string[]; key_values_exact?: Record<string, string[]>; key_values_regex?: Record<string, string> };
    headers?: HttpHeadersMatch;
  };
  response?: { headers?: HttpHeadersMatch };
}

export interface HttpHeadersMatch {
  require_present?: string[];
  deny_present?: string[];
  exact?: Record<string, string[]>;
  regex?: Record<string, string>;
}

export interface PolicyRecord {
  id: string;
  /** Optional, as in Neuwerk (omitted from responses when null). */
  name: string | null;
  mode: RecordMode;
  policy: PolicyConfig;
  created_at: string;
  updated_at: string;
}

/** A source group after merging and resolution: what the compiler and the DNS proxy work from. */
export interface EffectiveGroup {
  id: string;
  /** The record the group came from (findings carry it as policy_id). */
  policy_id: string;
  mode: GroupMode;
  /** Source networks in CIDR form (ips become /32; kubernetes selectors resolved to pod or node IPs). */
  sources: string[];
  /** Sorted by priority, then list order. */
  rules: EffectiveRule[];
  default_action: Action;
}

export interface EffectivePolicy {
  /** Bumped on every change; the data plane reports which generation it runs. */
  generation: number;
  default_policy: Action;
  /** Sorted by priority, then record order, then list order. */
  groups: EffectiveGroup[];
}

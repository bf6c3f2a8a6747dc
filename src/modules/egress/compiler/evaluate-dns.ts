import { networkContains, parseIp, parseNetwork, type Network } from './cidr.js';
import type { DnsGroup, DnsPolicy, DnsRule } from './compiled.types.js';

export interface DnsDecision {
  /** Whether the proxy answers (forwards upstream) rather than NXDOMAIN. */
  allowed: boolean;
  /** A deny turned into an allow by audit mode: the proxy answers and records a dns_deny finding. */
  audited: boolean;
  /** The group claiming the client; null when none does (default_policy decided). */
  group: DnsGroup | null;
  /** The rule that decided; null for the stricter no-match deny and for unclaimed clients. */
  rule: DnsRule | null;
}

// DnsPolicy is plain data; parsed networks and compiled regexps are cached beside it.
const networks = new WeakMap<DnsGroup, Network[]>();
const regexps = new WeakMap<DnsRule, RegExp>();

function networksOf(group: DnsGroup): Network[] {
  let parsed = networks.get(group);
  if (!parsed) networks.set(group, (parsed = group.sources.map(parseNetwork)));
  return parsed;
}

function regexpOf(rule: DnsRule): RegExp {
  let re = regexps.get(rule);
  if (!re) regexps.set(rule, (re = new RegExp(rule.hostname, rule.flags ?? 'i')));
  return re;
}

/**
 * The DNS verdict for a query: groups in order, the first whose sources hold the client claims it; its DNS rules
 * in order, first match wins. Stricter than packets: once a group claims the client, a name no rule matches is
 * denied whatever the group's default action. Audit mode (the rule's, or the group's for the no-match deny)
 * turns a deny into an audited allow. An unclaimed client gets default_policy.
 */
export function evaluateDns(dns: DnsPolicy, clientIp: string, qname: string): DnsDecision {
  const ip = parseIp(clientIp);
  const group = ip ? dns.groups.find((g) => networksOf(g).some((n) => networkContains(n, ip))) ?? null : null;
  if (!group) return { allowed: dns.default_policy === 'allow', audited: false, group: null, rule: null };
  const name = qname.replace(/\.$/, '');
  const rule = group.rules.find((r) => regexpOf(r).test(name)) ?? null;
  const action = rule?.action ?? 'deny';
  const mode = rule?.mode ?? group.mode;
  if (action === 'allow') return { allowed: true, audited: false, group, rule };
  return { allowed: mode === 'audit', audited: mode === 'audit', group, rule };
}

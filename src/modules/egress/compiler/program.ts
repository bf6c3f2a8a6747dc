import type { Action, EffectiveGroup, EffectivePolicy, EffectiveRule } from '../policy/policy.types.js';
import { normalizeNetworks } from './cidr.js';
import { PORT_PROTOCOLS, PROTO, portRanges, protocolNumber, type PortRange } from './match-values.js';
import { nftName } from './names.js';
import { claimRanges } from './source-ranges.js';

/**
 * The compiled policy as data, before it becomes nft text: what the renderer prints and what the packet
 * evaluator (tests, diagnostics) runs. Keeping the decisions here keeps the renderer a dumb printer.
 */

/** 'audit': record the tuple in the group's audit sets and let the packet through. */
export type Verdict = 'accept' | 'drop' | 'audit';

export interface ProgramRule {
  /** null for the group's default action. */
  rule_id: string | null;
  /** Address family the rule is limited to (its destinations, ICMP flavour or learned set decide); null: both. */
  family: 4 | 6 | null;
  /** Destination networks of `family`; null: any destination. */
  daddr: string[] | null;
  /** The DNS-learned IPv4 set the destination must be in. */
  daddrSet: string | null;
  l4proto: number | null;
  sports: PortRange[];
  dports: PortRange[];
  icmpTypes: number[];
  icmpCodes: number[];
  verdict: Verdict;
}

/** Shared by every group (the source address tells groups apart): each set is a kernel object, and they add up. */
export interface RecordSets {
  /** The chain that records and then drops (deny) or accepts (audit). */
  chain: string;
  l4: string;
  icmp: string;
}

export interface ProgramGroup {
  id: string;
  policy_id: string;
  chain: string;
  sources4: string[];
  sources6: string[];
  /** The parts of the sources no earlier group claims (prefixes or first-last ranges): what jumps to this chain. */
  claimed4: string[];
  claimed6: string[];
  /** In order; the last one is the group's default and matches everything. */
  rules: ProgramRule[];
  deny: RecordSets | null;
  audit: RecordSets | null;
}

/** What a group shows the rest of the table (claims, source maps, record sets): all of it but its rules. */
export type GroupFrame = Omit<ProgramGroup, 'rules'>;

/** An allow rule's DNS-learned set name (when no packet rule looks it up, learning into it does nothing). */
export interface LearnedSet {
  name: string;
  group: string;
  policy_id: string;
  rule_id: string;
}

export interface Program {
  generation: number;
  default_policy: Action;
  groups: ProgramGroup[];
  learnedSets: LearnedSet[];
}

export const RECORD_SETS: Record<'deny' | 'audit', RecordSets> = {
  deny: { chain: 'record_deny', l4: 'deny_l4', icmp: 'deny_icmp' },
  audit: { chain: 'record_audit', l4: 'audit_l4', icmp: 'audit_icmp' },
};

const verdictOf = (action: Action, mode: 'enforce' | 'audit'): Verdict =>
  action === 'allow' ? 'accept' : mode === 'audit' ? 'audit' : 'drop';

/** Stable per group and rule (and occurrence, should a rule id repeat), so learned addresses survive re-applies. */
export const learnedSetName = (group: EffectiveGroup, ruleId: string, occurrence: number) =>
  nftName('dns', group.policy_id, group.id, ruleId, String(occurrence));

function familyOfProto(proto: number | null, icmpTypes: number[], icmpCodes: number[]): 4 | 6 | null {
  if (proto === PROTO.icmpv6) return 6;
  if (proto === PROTO.icmp || icmpTypes.length || icmpCodes.length) return 4;
  return null;
}

/**
 * One policy rule as packet rules: one per address family its destinations span, none when it cannot be enforced
 * on packets. What cannot be enforced fails closed: an allow rule with a `tls` match allows nothing here (Rampart
 * inspects no TLS), a deny rule with one denies its L3/L4 part; a deny rule on `dns_hostname` acts in DNS only.
 */
function packetRules(rule: EffectiveRule, verdict: Verdict, learnedSet: string | null): ProgramRule[] {
  const m = rule.match;
  if (m.tls && rule.action === 'allow') return [];
  if (m.dns_hostname && rule.action === 'deny') return [];
  const icmpTypes = m.icmp_types ?? NONE;
  const icmpCodes = m.icmp_codes ?? NONE;
  let l4proto = protocolNumber(m.proto);
  if (l4proto === null && (icmpTypes.length || icmpCodes.length)) l4proto = PROTO.icmp;
  const sports = portRanges(m.src_ports);
  const dports = portRanges(m.dst_ports);
  if ((sports.length || dports.length) && l4proto !== null && !PORT_PROTOCOLS.includes(l4proto)) return [];
  const protoFamily = familyOfProto(l4proto, icmpTypes, icmpCodes);
  // Object literals of one shape, not spreads of a base (65,536 rules make spread-built objects a GC cost), and no
  // closure made per rule.
  const dsts = m.dst_ips?.length ? (m.dst_cidrs?.length ? [...m.dst_cidrs, ...m.dst_ips] : m.dst_ips) : (m.dst_cidrs ?? []);
  if (dsts.length === 0) return [programRule(rule.id, protoFamily ?? (learnedSet ? 4 : null), null, learnedSet, l4proto, sports, dports, icmpTypes, icmpCodes, verdict)];
  const out: ProgramRule[] = [];
  for (const family of protoFamily ? FAMILIES[protoFamily] : learnedSet ? FAMILIES[4] : FAMILIES.both) {
    const daddr = normalizeNetworks(dsts, family);
    if (daddr.length) out.push(programRule(rule.id, family, daddr, learnedSet, l4proto, sports, dports, icmpTypes, icmpCodes, verdict));
  }
  return out;
}

const FAMILIES = { 4: [4], 6: [6], both: [4, 6] } as const;
/** A rule's absent list: one shared (frozen) empty array instead of one per rule. */
const NONE: never[] = Object.freeze([]) as never[];

function programRule(
  rule_id: string, family: 4 | 6 | null, daddr: string[] | null, daddrSet: string | null, l4proto: number | null,
  sports: PortRange[], dports: PortRange[], icmpTypes: number[], icmpCodes: number[], verdict: Verdict,
): ProgramRule {
  return { rule_id, family, daddr, daddrSet, l4proto, sports, dports, icmpTypes, icmpCodes, verdict };
}

/** One group's packet program, before claims (which depend on the groups before it); its learned sets go to `learned`. */
export function buildGroup(group: EffectiveGroup, learned: LearnedSet[]): ProgramGroup {
  const key = [group.policy_id, group.id];
  const rules: ProgramRule[] = [];
  const seen = new Map<string, number>();
  for (const rule of group.rules) {
    const occurrence = seen.get(rule.id) ?? 0;
    seen.set(rule.id, occurrence + 1);
    let set: string | null = null;
    if (rule.match.dns_hostname && rule.action === 'allow') {
      set = learnedSetName(group, rule.id, occurrence);
      learned.push({ name: set, group: group.id, policy_id: group.policy_id, rule_id: rule.id });
    }
    for (const r of packetRules(rule, verdictOf(rule.action, rule.mode ?? group.mode), set)) rules.push(r);
  }
  rules.push({
    rule_id: null, family: null, daddr: null, daddrSet: null, l4proto: null, sports: [], dports: [], icmpTypes: [], icmpCodes: [],
    verdict: verdictOf(group.default_action, group.mode),
  });
  return {
    id: group.id,
    policy_id: group.policy_id,
    chain: nftName('g', ...key),
    sources4: normalizeNetworks(group.sources, 4),
    sources6: normalizeNetworks(group.sources, 6),
    claimed4: [],
    claimed6: [],
    rules,
    deny: rules.some((r) => r.verdict === 'drop') ? RECORD_SETS.deny : null,
    audit: rules.some((r) => r.verdict === 'audit') ? RECORD_SETS.audit : null,
  };
}

/** The last claims computed, by the groups' sources in order: a change to rules leaves them as they were. */
let lastClaims: { key: string; claims: Array<Pick<ProgramGroup, 'claimed4' | 'claimed6'>> } | null = null;

/** Each group's claims: the parts of its sources no earlier group claims. Returns copies; the groups are not changed. */
export function claimSources<G extends GroupFrame>(groups: G[]): G[] {
  const key = JSON.stringify(groups.map((g) => [g.sources4, g.sources6]));
  if (lastClaims?.key !== key) {
    const claims = groups.map(() => ({ claimed4: [] as string[], claimed6: [] as string[] }));
    for (const family of [4, 6] as const) {
      const owners = claimRanges(family, groups.map((g, i) => ({ owner: i, networks: family === 4 ? g.sources4 : g.sources6 })));
      for (const { owner, ranges } of owners) claims[owner][family === 4 ? 'claimed4' : 'claimed6'] = ranges;
    }
    lastClaims = { key, claims };
  }
  const { claims } = lastClaims;
  return groups.map((g, i) => ({ ...g, ...claims[i] }));
}

/** Pure: the packet program of an effective policy. Throws on values validation should have refused. */
export function buildProgram(effective: EffectivePolicy): Program {
  const learnedSets: LearnedSet[] = [];
  const groups = claimSources(effective.groups.map((g) => buildGroup(g, learnedSets)));
  return { generation: effective.generation, default_policy: effective.default_policy, groups, learnedSets };
}

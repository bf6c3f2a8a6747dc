import type { Action, EffectiveGroup, GroupMode } from '../policy/policy.types.js';

/** The nftables table Rampart owns; nothing else on the host is touched. */
export const NFT_TABLE = 'rampart_egress';
export const NFT_FAMILY = 'inet';

/** One DNS rule as the proxy evaluates it. */
export interface DnsRule {
  id: string;
  action: Action;
  mode: GroupMode;
  /** Source of a case-insensitive RegExp. */
  hostname: string;
  /** Flags of `hostname` as a JavaScript regex; absent in generations compiled before the Rust translation ('i'). */
  flags?: string;
  /**
   * The name the data plane learns the A answers of names this rule allows into; null for deny rules. The rule's own
   * nft set (in NFT_TABLE) of addresses, unless rules share one (see CompiledPolicy.learned).
   */
  set: string | null;
}

export interface DnsGroup {
  id: string;
  policy_id: string;
  mode: GroupMode;
  sources: string[];
  rules: DnsRule[];
}

/** Data only (no RegExp objects), so it can be logged, stored and compared. */
export interface DnsPolicy {
  generation: number;
  default_policy: Action;
  groups: DnsGroup[];
}

/**
 * Names of the dynamic sets the data plane fills with denied tuples, per group, for findings. Groups share the sets:
 * a tuple belongs to the group whose `sources` hold its source address.
 */
export interface DenySets {
  group: string;
  policy_id: string;
  /** IPv4 ranges (prefixes or first-last) this group claims; no two groups' overlap. */
  sources: string[];
  /** ip saddr . ip daddr . meta l4proto . th dport, with counters. */
  l4: string;
  /** ip saddr . ip daddr . icmp type . icmp code, with counters. */
  icmp: string;
  /** True when the sets record audit-mode denies (traffic let through). */
  audit: boolean;
}

/**
 * Where a DNS rule's learned addresses go: rules of one group, block and match shape share one set whose elements
 * are `address . <the rule's other fields>` (`suffixes`; none: the address alone), since every set costs load time.
 */
export interface LearnedBinding {
  /** DnsRule.set: the name the DNS proxy learns into. */
  name: string;
  /** The nft set; null when no packet rule looks the addresses up (learning is then a no-op). */
  set: string | null;
  suffixes: string[];
}

export interface CompiledPolicy {
  generation: number;
  /** A complete `nft -f` script: deletes and recreates NFT_TABLE in one transaction. */
  nft: string;
  /** Absent in generations compiled before learned sets were shared: each DnsRule.set is then its own nft set. */
  learned?: LearnedBinding[];
  dns: DnsPolicy;
  denySets: DenySets[];
}

/**
 * One source group compiled on its own: what it was compiled from, its sets and chain as nft text (empty for a
 * group without sources), where its DNS rules' addresses go, and its DNS view. The unit of reuse (compile cache)
 * and of storage (one content-addressed part per group).
 */
export interface CompiledGroup {
  effective: EffectiveGroup;
  nft: string;
  learned: LearnedBinding[];
  dns: DnsGroup;
}

/** What surrounds the groups: the table's head and tail as nft text, and the deny sets (both depend on every group's claims). */
export interface CompiledFrame {
  head: string;
  tail: string;
  denySets: DenySets[];
}

/** A compiled generation in parts; assembleCompiled (compile.ts) makes the CompiledPolicy of it. */
export interface CompiledParts {
  generation: number;
  default_policy: Action;
  frame: CompiledFrame;
  groups: CompiledGroup[];
}

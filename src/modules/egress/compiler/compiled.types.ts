import type { Action, GroupMode } from '../policy/policy.types.js';

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
  /** The nft set (in NFT_TABLE) that learns the A answers of names this rule allows; null for deny rules. */
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

/** Names of the dynamic sets the data plane fills with denied tuples, per group, for findings. */
export interface DenySets {
  group: string;
  policy_id: string;
  /** ip saddr . ip daddr . meta l4proto . th dport, with counters. */
  l4: string;
  /** ip saddr . ip daddr . icmp type . icmp code, with counters. */
  icmp: string;
  /** True when the sets record audit-mode denies (traffic let through). */
  audit: boolean;
}

export interface CompiledPolicy {
  generation: number;
  /** A complete `nft -f` script: deletes and recreates NFT_TABLE in one transaction. */
  nft: string;
  dns: DnsPolicy;
  denySets: DenySets[];
}

import { isIPv4 } from 'node:net';
import type { DnsPolicy } from '../compiler/compiled.types.js';
import { evaluateDns } from '../compiler/evaluate-dns.js';

/** What the proxy does with one query. */
export interface DnsVerdict {
  /** Forward and answer (true), or answer NXDOMAIN. */
  allow: boolean;
  /** A deny that audit mode turned into an allow: forwarded, and recorded as a finding. */
  audited: boolean;
  /** The group that claimed the client, null when none did (default_policy decided). */
  group: string | null;
  policy_id: string | null;
  /** The nft set the answers' addresses go into: the allowing rule's, else null (nothing to learn). */
  set: string | null;
}

/** An IPv4 client seen on a dual-stack socket arrives as ::ffff:a.b.c.d. */
export function plainClientIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

const FORWARD: DnsVerdict = { allow: true, audited: false, group: null, policy_id: null, set: null };

/** The compiler's DNS evaluation (compiler/evaluate-dns.ts) as the proxy acts on it; no policy yet: forward. */
export function dnsVerdict(policy: DnsPolicy | null, clientIp: string, qname: string): DnsVerdict {
  if (!policy) return FORWARD;
  const decision = evaluateDns(policy, plainClientIp(clientIp), qname);
  const learnsInto = decision.allowed && !decision.audited && decision.rule?.action === 'allow' ? decision.rule.set : null;
  return {
    allow: decision.allowed,
    audited: decision.audited,
    group: decision.group?.id ?? null,
    policy_id: decision.group?.policy_id ?? null,
    set: learnsInto,
  };
}

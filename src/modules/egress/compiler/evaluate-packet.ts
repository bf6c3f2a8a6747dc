import { networkContains, parseIp, parseNetwork } from './cidr.js';
import { PORT_PROTOCOLS, inRanges } from './match-values.js';
import type { Program, ProgramGroup, ProgramRule } from './program.js';

/** The first packet of a new flow, as the forward hook sees it. */
export interface Packet {
  src: string;
  dst: string;
  /** IP protocol number. */
  proto: number;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
}

export interface PacketDecision {
  verdict: 'accept' | 'drop';
  group: string | null;
  /** The deciding rule; null for the group default or an unclaimed source. */
  rule: string | null;
  /** Which record sets the tuple lands in (IPv4 only, as the data plane records it). */
  recorded: 'deny' | 'audit' | null;
}

export type Ip = NonNullable<ReturnType<typeof parseIp>>;
const inNetworks = (cidrs: string[], ip: Ip) => cidrs.some((c) => networkContains(parseNetwork(c), ip));

/** Whether a packet matches one program rule (first packet of a flow; `learned` answers learned-set membership). */
export function ruleMatches(rule: ProgramRule, p: Packet, src: Ip, dst: Ip, learned: (set: string, ip: string) => boolean): boolean {
  if (rule.family && dst.family !== rule.family) return false;
  if (rule.daddr && !inNetworks(rule.daddr, dst)) return false;
  if (rule.daddrSet && !learned(rule.daddrSet, p.dst)) return false;
  const portMatch = rule.sports.length || rule.dports.length;
  if (rule.l4proto !== null && p.proto !== rule.l4proto) return false;
  if (portMatch && !PORT_PROTOCOLS.includes(p.proto)) return false;
  if (rule.sports.length && !inRanges(rule.sports, p.sport ?? -1)) return false;
  if (rule.dports.length && !inRanges(rule.dports, p.dport ?? -1)) return false;
  if (rule.icmpTypes.length && !rule.icmpTypes.includes(p.icmpType ?? -1)) return false;
  if (rule.icmpCodes.length && !rule.icmpCodes.includes(p.icmpCode ?? -1)) return false;
  return true;
}

const claims = (g: ProgramGroup, src: Ip) => inNetworks(src.family === 4 ? g.sources4 : g.sources6, src);

/**
 * What the compiled table does with a new flow's first packet: the same decisions the nft rules encode, as code,
 * so tests can state policy semantics without reading nft text. `learned` answers DNS-learned set membership.
 */
export function evaluatePacket(program: Program, packet: Packet, learned: (set: string, ip: string) => boolean = () => false): PacketDecision {
  const src = parseIp(packet.src);
  const dst = parseIp(packet.dst);
  if (!src || !dst) throw new Error(`not an IP address: ${!src ? packet.src : packet.dst}`);
  const group = program.groups.find((g) => claims(g, src));
  if (!group) return { verdict: program.default_policy === 'allow' ? 'accept' : 'drop', group: null, rule: null, recorded: null };
  const rule = group.rules.find((r) => ruleMatches(r, packet, src, dst, learned))!; // the last rule matches everything
  const recorded = rule.verdict === 'accept' || src.family !== 4 ? null : rule.verdict === 'drop' ? 'deny' : 'audit';
  return { verdict: rule.verdict === 'drop' ? 'drop' : 'accept', group: group.id, rule: rule.rule_id, recorded };
}

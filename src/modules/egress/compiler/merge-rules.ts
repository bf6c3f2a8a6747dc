import { parseNetwork, type Network } from './cidr.js';
import { PORT_PROTOCOLS, type PortRange } from './match-values.js';
import type { ProgramRule, Verdict } from './program.js';

/**
 * A group chain's rules as blocks of one verdict each, in the order the chain tries them. Every nft rule and every
 * set costs load time, so the renderer prints one rule per block and match shape. A rule joins the latest block
 * of its verdict when no packet can match both it and any rule of the blocks in between (a packet it matches never
 * reached those), so moving it up changes no decision; otherwise it opens a new block.
 */
export interface RuleBlock {
  verdict: Verdict;
  rules: ProgramRule[];
}

const overlapRanges = (a: PortRange[], b: PortRange[]) => a.some((x) => b.some((y) => x.from <= y.to && y.from <= x.to));
const sharesAny = <T>(a: T[], b: T[]) => a.some((x) => b.includes(x));

/** Protocols a rule can match; null: any. */
function protocolsOf(rule: ProgramRule): number[] | null {
  if (rule.l4proto !== null) return [rule.l4proto];
  return rule.sports.length || rule.dports.length ? PORT_PROTOCOLS : null;
}

function networksOverlap(a: string[], b: string[]): boolean {
  const nets = (xs: string[]) => xs.map(parseNetwork);
  const contains = (outer: Network, inner: Network) => {
    if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
    const bits = BigInt((outer.family === 4 ? 32 : 128) - outer.prefix);
    return outer.base >> bits === inner.base >> bits;
  };
  const bn = nets(b);
  return nets(a).some((x) => bn.some((y) => contains(x, y) || contains(y, x)));
}

/** True only when no packet can match both rules (conservative: unsure means false). */
export function disjoint(a: ProgramRule, b: ProgramRule): boolean {
  if (a.family && b.family && a.family !== b.family) return true;
  if (a.l4proto !== null && b.l4proto !== null) {
    if (a.l4proto !== b.l4proto) return true;
  } else {
    const pa = protocolsOf(a);
    const pb = protocolsOf(b);
    if (pa && pb && !sharesAny(pa, pb)) return true;
  }
  if (a.daddr && b.daddr && !networksOverlap(a.daddr, b.daddr)) return true;
  if (a.dports.length && b.dports.length && !overlapRanges(a.dports, b.dports)) return true;
  if (a.sports.length && b.sports.length && !overlapRanges(a.sports, b.sports)) return true;
  if (a.icmpTypes.length && b.icmpTypes.length && !sharesAny(a.icmpTypes, b.icmpTypes)) return true;
  if (a.icmpCodes.length && b.icmpCodes.length && !sharesAny(a.icmpCodes, b.icmpCodes)) return true;
  return false;
}

export function mergeRules(rules: ProgramRule[]): RuleBlock[] {
  const blocks: RuleBlock[] = [];
  for (const rule of rules) {
    let target: RuleBlock | null = null;
    for (let i = blocks.length - 1; i >= 0; i--) {
      if (blocks[i].verdict === rule.verdict) {
        target = blocks[i];
        break;
      }
      if (!blocks[i].rules.every((other) => disjoint(rule, other))) break;
    }
    if (target) target.rules.push(rule);
    else blocks.push({ verdict: rule.verdict, rules: [rule] });
  }
  return blocks;
}

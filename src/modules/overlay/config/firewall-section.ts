/**
 * The firewall section: outbound allows everything, inbound allows what the group firewalls of ALL the
 * node's groups allow (Commander reads only the first group and explodes ranges into one rule per port).
 */
import type { GroupFirewallInput, InboundRuleInput, NebulaFirewallRule } from './config.types.js';
import { validateInboundRule, type PortSpan } from './firewall-validation.js';

/** A fresh object each time: callers may edit the config they get. */
const allowAny = (): NebulaFirewallRule => ({ port: 'any', proto: 'any', host: 'any' });

function nebulaPort(span: PortSpan | null): NebulaFirewallRule['port'] {
  if (!span) return 'any';
  return span.start === span.end ? span.start : `${span.start}-${span.end}`;
}

function toNebulaRules(rule: InboundRuleInput): NebulaFirewallRule[] {
  const { allowed_group, protocol, spans } = validateInboundRule(rule);
  const from = allowed_group === 'any' ? { host: 'any' as const } : { group: allowed_group };
  return (spans ?? [null]).map((span) => ({ port: nebulaPort(span), proto: protocol, ...from }));
}

/** Identical rules from several groups collapse into one, and the order never depends on input order. */
function dedupeAndSort(rules: NebulaFirewallRule[]): NebulaFirewallRule[] {
  const byKey = new Map(rules.map((r) => [JSON.stringify([r.group ?? '', r.host ?? '', r.proto, String(r.port)]), r]));
  return [...byKey.keys()].sort().map((key) => byKey.get(key)!);
}

/**
 * A node none of whose groups has a firewall config gets allow-any inbound, as in Commander, so networks that
 * never set up a group firewall keep working. Once one of its groups has a config, inbound_action drop applies
 * and only the listed rules pass; an explicit empty rule list therefore means deny all (Commander: allow-any).
 */
export function inboundRules(groups: string[], groupFirewalls: GroupFirewallInput[]): NebulaFirewallRule[] {
  const mine = groupFirewalls.filter((gf) => groups.includes(gf.group_name));
  if (mine.length === 0) return [allowAny()];
  return dedupeAndSort(mine.flatMap((gf) => gf.inbound_rules.flatMap(toNebulaRules)));
}

export function firewallSection(groups: string[], groupFirewalls: GroupFirewallInput[]) {
  return {
    outbound_action: 'drop',
    inbound_action: 'drop',
    conntrack: { tcp_timeout: '12m', udp_timeout: '3m', default_timeout: '10m' },
    outbound: [allowAny()],
    inbound: inboundRules(groups, groupFirewalls),
  };
}

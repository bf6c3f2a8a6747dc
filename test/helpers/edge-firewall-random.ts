/**
 * Random edge firewall configurations and random changes to them, from a seeded generator (a failure names its
 * seed and step, and replays the same). Used to check that the warm compile cache and the in-place apply give the
 * same ruleset as a cold compile and a whole replacement.
 */
import type { Alias, NatRule, Rule } from '../../src/modules/edge/firewall/firewall.model.js';
import type { CompileInput } from '../../src/modules/edge/firewall/compile.js';

export interface FirewallConfig {
  rules: Rule[];
  aliases: Alias[];
  nat: NatRule[];
  blockLogging: boolean;
}

/** mulberry32: small, seeded, good enough to pick changes. */
export function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] };
}
export type Random = ReturnType<typeof random>;

const at = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString();

function entry(rnd: Random, type: 'host' | 'network'): string {
  if (rnd.int(5) === 0) {
    const group = rnd.int(4).toString(16);
    return type === 'host' ? `2001:db8:${group}::${(1 + rnd.int(40)).toString(16)}` : `2001:db8:${group}:${rnd.int(8) * 16}::/${rnd.pick([60, 64, 124])}`;
  }
  // A small space, so entries overlap and touch (merged by the compiler).
  const host = `10.${rnd.int(3)}.${rnd.int(4)}.${rnd.int(64)}`;
  return type === 'host' ? host : `${host}/${rnd.pick([24, 26, 28, 30, 31, 32])}`;
}

function alias(rnd: Random, i: number): Alias {
  const type = rnd.pick(['host', 'network', 'network', 'port'] as const);
  const entries = Array.from({ length: rnd.int(12) }, () =>
    type === 'port' ? (rnd.int(2) ? String(1000 + rnd.int(40)) : `${1000 + rnd.int(40)}-${1040 + rnd.int(20)}`) : entry(rnd, type));
  return {
    id: `alias-${i}`, name: `al-${i}`, alias_type: type, entries: [...new Set(entries)], description: null, enabled: rnd.int(8) > 0,
    resolved: [], last_fetched_at: null, last_error: null, created_at: at(i), updated_at: at(i),
  };
}

let ruleSerial = 0;
function rule(rnd: Random, aliases: Alias[]): Rule {
  const addressAliases = aliases.filter((a) => a.alias_type !== 'port');
  const portAliases = aliases.filter((a) => a.alias_type === 'port');
  const address = () => {
    const roll = rnd.int(4);
    if (roll === 0 && addressAliases.length) return `<${rnd.pick(addressAliases).name}>`;
    if (roll === 1) return `198.51.100.${rnd.int(255)}`;
    return 'any';
  };
  const protocol = rnd.pick(['tcp', 'udp', 'tcp/udp', 'any', 'icmp'] as const);
  const ports = protocol === 'tcp' || protocol === 'udp' || protocol === 'tcp/udp';
  const port = ports && rnd.int(2) ? 1 + rnd.int(9000) : null;
  const n = ruleSerial++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, priority: rnd.int(20), action: rnd.pick(['pass', 'block_drop', 'block', 'block_return'] as const),
    direction: rnd.pick(['in', 'out', 'any'] as const), ip_version: 'both', interface: rnd.pick([null, 'wan0', 'lan0']), protocol,
    rule_match: { src_addr: address(), src_port: null, dst_addr: address(), dst_port: port ? { start: port, end: port + rnd.int(3) } : null },
    src_invert: false, dst_invert: rnd.int(6) === 0, log: rnd.int(4) === 0, quick: rnd.int(6) > 0, label: rnd.int(3) ? `r${n}` : null, description: null, gateway: null,
    state_options: { tracking: rnd.int(4) ? 'keep_state' : 'none', policy: null, adaptive_timeouts: null, timeout_tcp: null, timeout_udp: null, timeout_icmp: null },
    status: rnd.int(10) ? 'active' : 'disabled', schedule_id: null,
    src_port_alias: null, dst_port_alias: ports && portAliases.length && rnd.int(4) === 0 && !port ? rnd.pick(portAliases).name : null,
    created_at: at(1000 + n), updated_at: at(1000 + n),
  };
}

function nat(rnd: Random, i: number): NatRule {
  return {
    id: `nat-${i}-${rnd.int(1e6)}`, nat_type: rnd.pick(['masquerade', 'snat', 'dnat'] as const), interface: 'wan0', protocol: 'tcp',
    src_addr: `10.0.${rnd.int(4)}.0/24`, src_port: null, dst_addr: 'any', dst_port: { start: 80 + rnd.int(10), end: 80 + rnd.int(10) + 10 },
    redirect: { address: '10.9.0.1', port: null }, label: null, status: 'active', created_at: at(i), updated_at: at(i),
  };
}

export function randomConfig(rnd: Random, rules = 200, aliases = 12): FirewallConfig {
  const as = Array.from({ length: aliases }, (_, i) => alias(rnd, i));
  return { aliases: as, rules: Array.from({ length: rules }, () => rule(rnd, as)), nat: [nat(rnd, 0)], blockLogging: true };
}

/** One random change, as an operator could make it: returns a new configuration and what changed. */
export function change(rnd: Random, c: FirewallConfig): { config: FirewallConfig; what: string } {
  const next: FirewallConfig = { ...c, rules: [...c.rules], aliases: [...c.aliases], nat: [...c.nat] };
  const i = rnd.int(Math.max(1, c.rules.length));
  switch (rnd.int(10)) {
    case 0:
      next.rules.push(rule(rnd, next.aliases));
      return { config: next, what: 'rule added' };
    case 1:
      next.rules.splice(i, 1);
      return { config: next, what: 'rule removed' };
    case 2:
      next.rules[i] = { ...next.rules[i], priority: rnd.int(20), updated_at: at(9000) };
      return { config: next, what: 'rule moved' };
    case 3:
      next.rules[i] = { ...rule(rnd, next.aliases), id: next.rules[i].id, created_at: next.rules[i].created_at };
      return { config: next, what: 'rule edited' };
    case 4: {
      const a = rnd.int(next.aliases.length);
      const old = next.aliases[a];
      const entries = old.alias_type === 'port' ? [...old.entries.slice(1), String(2000 + rnd.int(50))] : [...old.entries.slice(rnd.int(2)), entry(rnd, old.alias_type === 'host' ? 'host' : 'network')];
      next.aliases[a] = { ...old, entries: [...new Set(entries)] };
      return { config: next, what: `alias ${old.name} entries` };
    }
    case 5: {
      const a = rnd.int(next.aliases.length);
      next.aliases[a] = { ...next.aliases[a], enabled: !next.aliases[a].enabled };
      return { config: next, what: `alias ${next.aliases[a].name} toggled` };
    }
    case 6:
      next.rules[i] = { ...next.rules[i], status: next.rules[i].status === 'active' ? 'disabled' : 'active' };
      return { config: next, what: 'rule toggled' };
    case 7:
      next.nat = rnd.int(2) ? [...next.nat, nat(rnd, next.nat.length)] : next.nat.slice(1);
      return { config: next, what: 'nat changed' };
    case 8: {
      // Several rules at once, as a section import would.
      for (let k = 0; k < 5; k++) next.rules.push(rule(rnd, next.aliases));
      return { config: next, what: 'five rules added' };
    }
    default: {
      // One field alone: each field the compiler reads must bust the compile cache by itself.
      const r = next.rules[i];
      const edits: Array<[string, Partial<Rule>]> = [
        ['label', { label: `edited-${rnd.int(1000)}` }],
        ['state tracking', { state_options: { ...r.state_options, tracking: r.state_options.tracking === 'none' ? 'keep_state' : 'none' } }],
        ['log', { log: !r.log }],
        ['quick', { quick: !r.quick }],
      ];
      const [what, edit] = rnd.pick(edits);
      next.rules[i] = { ...r, ...edit };
      return { config: next, what: `rule ${what}` };
    }
  }
}

export const compileInput = (c: FirewallConfig, extra: Partial<CompileInput> = {}): CompileInput => ({
  rules: c.rules, aliases: c.aliases, nat: c.nat, geoip: [], activeSchedules: new Set(), blockLogging: c.blockLogging,
  countryNetworks: () => [], managementPorts: [8443], ...extra,
});

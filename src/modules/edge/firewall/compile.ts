/**
 * The firewall compiler: AiFw's rules, aliases, schedules, NAT and geo-IP rules into Rampart's own nftables tables
 * (`table inet rampart_edge` for filtering, `table ip rampart_edge_nat` for translation), never naming another
 * table. Pure: the caller supplies which schedules are active now and the geo-IP networks.
 *
 * pf's model on Linux (docs/edge.md has the mapping): a forwarded packet is filtered twice in pf (in on its ingress
 * interface, out on its egress one), so the forward hook has two base chains, `fwd_in` (priority filter, default
 * drop: deny inbound) and `fwd_out` (filter + 10, default pass); the box's own traffic goes through `input` (in, default
 * drop) and `output` (out, default pass). Rules run in AiFw's order, priority then created_at; a quick rule decides
 * at once, a non-quick one only records its verdict in two bits of the packet mark and the last match decides after
 * the chain (pf's last-match-wins). States: a pass rule that keeps state (AiFw's keep_state, the default, and
 * modulate/synproxy) marks its connection (KEEP_CT in the conntrack mark; a quick one by `goto keep_state`); established and related packets pass before
 * any rule only on a marked connection, so a pass rule with `state_tracking: none` lets its own packets through and
 * nothing back. The default pass outbound keeps state, as AiFw's `pass out keep state`. Block rules never mark.
 */
import type { Alias, GeoRule, NatRule, PortRange, Rule } from './firewall.model.js';
import { emitAction, familyOf, tableOf } from './firewall.model.js';
import { errors } from '../../../core/errors.js';
import { NFLOG_GROUP } from '../edge.types.js';
import { addressElements as mergedAddresses, portElements } from './set-elements.js';

export const FILTER_TABLE = 'inet rampart_edge';
export const NAT_TABLE = 'ip rampart_edge_nat';

const PASS_BIT = '0x01000000';
const BLOCK_BIT = '0x02000000';
const RETURN_BITS = '0x03000000';
/** Packet mark: the recorded (non-quick) pass keeps state; read with the verdict bits by the chain's tail. */
const KEEP_BIT = '0x04000000';
const PASS_KEEP_BITS = '0x05000000';
const VERDICT_KEEP_BITS = '0x07000000';
const KEEP_OTHER_BITS = '0xf8ffffff';
/** Conntrack mark: this connection was passed by a rule keeping state (pf's state entry). */
export const KEEP_CT = '0x00010000';
const keepState = `ct mark set ct mark | ${KEEP_CT}`;
/** The chain a quick stateful pass goes to: one verdict per rule, so the rules cost no more than a plain accept. */
const KEEP_CHAIN = 'keep_state';
/** What pf's state table passes: packets of connections a stateful pass admitted (floating: on any interface). */
const STATE_PASS = `ct state established,related ct mark & ${KEEP_CT} == ${KEEP_CT} accept`;

export interface CompileInput {
  rules: Rule[];
  aliases: Alias[];
  nat: NatRule[];
  geoip: GeoRule[];
  /** Schedule ids whose window covers now. */
  activeSchedules: Set<string>;
  blockLogging: boolean;
  /** Networks of a country (ISO-2), from the geo-IP database. */
  countryNetworks(country: string): string[];
  /** TCP ports of Rampart's own API, passed in so default-deny does not lock the operator out. */
  managementPorts: number[];
  /**
   * What earlier compiles produced, reused where nothing it depends on changed (createCompileCache). Without one a
   * compile starts cold; with or without, the output is the same.
   */
  cache?: CompileCache;
}

/** An alias as the compiler uses it: its merged elements per family (or its ports), computed once per content. */
interface AliasView {
  alias: Alias;
  /** Families its address elements hold (none for an empty alias, and for port aliases). */
  families: Array<4 | 6>;
  /** What a rule naming it compiles against (its type and families), for the compile cache's context. */
  tag: string;
  v4: string[];
  v6: string[];
  ports: string[];
}

/**
 * Per-object compile results, each kept with what it was compiled from: a rule's text depends on the rule's own
 * fields, the type and families of the aliases it names and the block-logging setting (not on the aliases' entries:
 * those live in sets); an alias's merged elements on its type, state and entries. Interfaces are named, not looked
 * up, and schedules only decide whether a rule is in, so neither is part of a rule's text. A
 * one-rule change then recompiles one rule, and the applier sees the other rules' very same strings.
 */
export interface CompileCache {
  rules: Map<string, { rule: Rule; context: string; in: CompiledRule[]; out: CompiledRule[]; generation: number }>;
  /** Bumped by every compile: entries not reached by the latest one are dropped. */
  generation: number;
  aliases: Map<string, AliasView>;
  /** A country's merged elements per family, keyed by the geo-IP database's own array (the same while it is loaded). */
  geo: WeakMap<string[], { 4: string[]; 6: string[] }>;
}

export const createCompileCache = (): CompileCache => ({ rules: new Map(), aliases: new Map(), geo: new WeakMap(), generation: 0 });

function geoElements(nets: string[], cache: CompileCache): { 4: string[]; 6: string[] } {
  let hit = cache.geo.get(nets);
  if (!hit) {
    hit = { 4: mergedAddresses(nets.filter((e) => familyOf(e) === 4), 4), 6: mergedAddresses(nets.filter((e) => familyOf(e) === 6), 6) };
    cache.geo.set(nets, hit);
  }
  return hit;
}

export interface CompiledSet {
  name: string;
  type: 'ipv4_addr' | 'ipv6_addr' | 'inet_service';
  elements: string[];
}

export interface CompiledRule {
  /** Unique in the table, kept in the rule's comment: "<object id>.<n>". */
  key: string;
  text: string;
}

export interface CompiledChain {
  name: string;
  /** Block chains: the parent whose rules they hold ('in', 'out', 'geo'). */
  parent?: string;
  head: string[];
  rules: CompiledRule[];
  tail: string[];
}

export interface Compiled {
  sets: CompiledSet[];
  chains: CompiledChain[];
  /** The NAT table's body, redefined whole on every apply (it is small). */
  nat: string[];
  /** Rules left out because their schedule is inactive (ids), for reporting. */
  scheduledOut: string[];
}

/** Code-unit order: RFC 3339 times and UUIDs sort the same as with localeCompare, which is many times slower. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** AiFw's order: priority ascending, then created_at. */
export const byRuleOrder = (a: Rule, b: Rule) => a.priority - b.priority || cmp(a.created_at, b.created_at) || cmp(a.id, b.id);
export const byCreated = (a: { created_at: string; id: string }, b: { created_at: string; id: string }) => cmp(a.created_at, b.created_at) || cmp(a.id, b.id);

/** Set names: alias names may hold '-', which nft takes in identifiers after the first character. */
export const aliasSet = (name: string, family: 4 | 6) => `a_${name}_${family}`;
export const portSet = (name: string) => `p_${name}`;
export const geoSet = (country: string, family: 4 | 6) => `g_${country.toLowerCase()}_${family}`;

const l4 = (proto: Rule['protocol']): string | null =>
  ({ tcp: 'meta l4proto tcp', udp: 'meta l4proto udp', 'tcp/udp': 'meta l4proto { tcp, udp }', icmp: 'meta l4proto icmp', icmp6: 'meta l4proto ipv6-icmp', esp: 'meta l4proto esp', ah: 'meta l4proto ah', gre: 'meta l4proto gre', any: null })[proto];

const range = (r: PortRange) => (r.start === r.end ? String(r.start) : `${r.start}-${r.end}`);
const addressEntries = (a: Alias) => (!a.enabled ? [] : a.alias_type === 'url_table' ? a.resolved : a.entries);

type AliasIndex = Map<string, AliasView>;

function aliasView(alias: Alias): AliasView {
  if (alias.alias_type === 'port') return { alias, families: [], tag: 'port:', v4: [], v6: [], ports: portElements(alias.enabled ? alias.entries : []) };
  const entries = addressEntries(alias);
  const v4 = mergedAddresses(entries.filter((e) => familyOf(e) === 4), 4);
  const v6 = mergedAddresses(entries.filter((e) => familyOf(e) === 6), 6);
  const families = ([4, 6] as const).filter((f) => (f === 4 ? v4 : v6).length > 0);
  return { alias, families, tag: `${alias.alias_type}:${families.join('')}`, v4, v6, ports: [] };
}

const sameList = (a: string[], b: string[]) => a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
const sameAliasContent = (a: Alias, b: Alias) =>
  a.name === b.name && a.alias_type === b.alias_type && a.enabled === b.enabled && sameList(a.entries, b.entries) && sameList(a.resolved, b.resolved);

/** Every alias's view, from the cache when its content is the same as when it was computed. */
function aliasIndex(aliases: Alias[], cache: CompileCache): AliasIndex {
  const index: AliasIndex = new Map();
  const seen = new Set<string>();
  for (const a of aliases) {
    let view = cache.aliases.get(a.id);
    if (!view || !sameAliasContent(view.alias, a)) {
      view = aliasView(a);
      cache.aliases.set(a.id, view);
    }
    index.set(a.name, view);
    seen.add(a.id);
  }
  for (const id of cache.aliases.keys()) if (!seen.has(id)) cache.aliases.delete(id);
  return index;
}

/** Families an address can match: a literal's own, an address alias's present ones (v4 when empty), or any. */
function familiesOf(addr: string, aliases: AliasIndex): Array<4 | 6> | null {
  if (addr === 'any') return null;
  const table = tableOf(addr);
  if (!table) return [familyOf(addr)];
  const view = aliases.get(table);
  if (!view) throw errors.validation(`unknown alias ${table}`);
  if (view.alias.alias_type === 'port') throw errors.validation(`alias ${table} is a port alias: use it as src_port_alias or dst_port_alias`);
  return view.families.length === 0 ? [4] : view.families;
}

function addrMatch(side: 'saddr' | 'daddr', addr: string, invert: boolean, family: 4 | 6): string {
  const table = tableOf(addr);
  const value = table ? `@${aliasSet(table, family)}` : addr;
  return `${family === 4 ? 'ip' : 'ip6'} ${side} ${invert ? '!= ' : ''}${value}`;
}

function portMatch(side: 'sport' | 'dport', portRange: PortRange | null, alias: string | null, aliases: AliasIndex): string | null {
  if (alias) {
    const a = aliases.get(alias)?.alias;
    if (!a) throw errors.validation(`unknown alias ${alias}`);
    if (a.alias_type !== 'port') throw errors.validation(`alias ${alias} is not a port alias`);
    return `th ${side} @${portSet(alias)}`;
  }
  return portRange ? `th ${side} ${range(portRange)}` : null;
}

/**
 * The matching part of a rule, one text per address family it needs (none when its families cannot meet: an IPv4
 * literal against an IPv6-only alias matches nothing). Throws a 400 for rules nftables cannot express.
 */
function ruleMatches(r: Rule, side: 'in' | 'out', aliases: AliasIndex): string[] {
  const m = r.rule_match;
  const hasPorts = m.src_port || m.dst_port || r.src_port_alias || r.dst_port_alias;
  if (hasPorts && !['tcp', 'udp', 'tcp/udp'].includes(r.protocol)) throw errors.validation('ports need protocol tcp, udp or tcp/udp');
  const srcF = familiesOf(m.src_addr, aliases);
  const dstF = familiesOf(m.dst_addr, aliases);
  let families: Array<4 | 6 | null>;
  if (srcF && dstF) families = srcF.filter((f) => dstF.includes(f));
  else families = srcF ?? dstF ?? [null];
  if (r.protocol === 'icmp') families = families.filter((f) => f !== 6);
  if (r.protocol === 'icmp6') families = families.filter((f) => f !== 4);
  const common = [
    r.interface ? `${side === 'in' ? 'iifname' : 'oifname'} "${r.interface}"` : null,
    l4(r.protocol),
  ];
  const ports = [portMatch('sport', m.src_port, r.src_port_alias, aliases), portMatch('dport', m.dst_port, r.dst_port_alias, aliases)];
  return families.map((f) =>
    [
      ...common,
      f && m.src_addr !== 'any' ? addrMatch('saddr', m.src_addr, r.src_invert, f) : null,
      f && m.dst_addr !== 'any' ? addrMatch('daddr', m.dst_addr, r.dst_invert, f) : null,
      ...ports,
    ]
      .filter(Boolean)
      .join(' '),
  );
}

/**
 * Whether a pass rule creates state: keep_state (AiFw's default) and modulate_state (Linux already randomises its
 * sequence numbers) do; synproxy_state keeps state too (the SYN proxy itself is not compiled); none does not.
 */
export const keepsState = (r: Rule) => r.action === 'pass' && r.state_options.tracking !== 'none';

/** nft statements for a verdict: quick ones decide now; others set the mark bits the chain's tail reads. */
function verdicts(r: Rule, blockLogging: boolean): string[] {
  const logs = r.log || (r.action !== 'pass' && blockLogging) || r.action === 'block';
  const log = logs ? `log group ${NFLOG_GROUP} prefix "${r.action === 'pass' ? 'pass' : 'block'} " ` : '';
  if (!r.quick) {
    const bits = keepsState(r) ? PASS_KEEP_BITS : r.action === 'pass' ? PASS_BIT : r.action === 'block_return' ? RETURN_BITS : BLOCK_BIT;
    return [`${log}meta mark set meta mark & ${KEEP_OTHER_BITS} | ${bits}`];
  }
  if (r.action === 'pass') return [`${log}${keepsState(r) ? `goto ${KEEP_CHAIN}` : 'accept'}`];
  if (r.action === 'block_return') return [`meta l4proto tcp ${log}reject with tcp reset`, `${log}reject`];
  return [`${log}drop`];
}

function comment(key: string, label: string | null): string {
  return `comment "${key}${label ? ` ${label}` : ''}"`;
}

/** What a rule's text depends on besides the rule: the type and families of the aliases it names, block logging. */
function ruleContext(r: Rule, aliases: AliasIndex, blockLogging: boolean): string {
  let out = blockLogging ? 'L' : '-';
  for (const name of [tableOf(r.rule_match.src_addr), tableOf(r.rule_match.dst_addr), r.src_port_alias, r.dst_port_alias]) {
    const view = name ? aliases.get(name) : undefined;
    out += view ? `|${view.tag}` : '|';
  }
  return out;
}

const samePorts = (a: PortRange | null, b: PortRange | null) => a === b || (!!a && !!b && a.start === b.start && a.end === b.end);

/**
 * Whether two versions of a rule compile to the same text (field by field: cheaper than hashing 10,000 rules). Every
 * field ruleMatches, verdicts and comment read is here: a field the compiler starts reading must be added.
 */
function sameRuleText(a: Rule, b: Rule): boolean {
  const [m, n] = [a.rule_match, b.rule_match];
  return a.id === b.id && a.action === b.action && a.direction === b.direction && a.interface === b.interface && a.protocol === b.protocol &&
    m.src_addr === n.src_addr && m.dst_addr === n.dst_addr && samePorts(m.src_port, n.src_port) && samePorts(m.dst_port, n.dst_port) &&
    a.src_invert === b.src_invert && a.dst_invert === b.dst_invert && a.log === b.log && a.quick === b.quick && a.label === b.label &&
    a.src_port_alias === b.src_port_alias && a.dst_port_alias === b.dst_port_alias && keepsState(a) === keepsState(b);
}

function compileRule(r: Rule, side: 'in' | 'out', input: CompileInput, aliases: AliasIndex): CompiledRule[] {
  if (r.direction !== 'any' && r.direction !== side) return [];
  const compiled: CompiledRule[] = [];
  let n = 0;
  for (const match of ruleMatches(r, side, aliases)) {
    for (const verdict of verdicts(r, input.blockLogging)) {
      const key = `${r.id}.${side}${n++}`;
      compiled.push({ key, text: `${match ? `${match} ` : ''}${verdict} ${comment(key, r.label)}` });
    }
  }
  return compiled;
}

/** The active rules' compiled texts per side, in the given order; rules whose schedule is inactive are listed in `out`. */
function compileRules(rules: Rule[], input: CompileInput, aliases: AliasIndex, cache: CompileCache, out: string[]) {
  const sides = { in: [] as CompiledRule[], out: [] as CompiledRule[] };
  const generation = ++cache.generation;
  for (const r of rules) {
    if (r.status !== 'active') continue;
    if (r.schedule_id && !input.activeSchedules.has(r.schedule_id)) {
      out.push(r.id);
      continue;
    }
    const context = ruleContext(r, aliases, input.blockLogging);
    let hit = cache.rules.get(r.id);
    if (!hit || hit.context !== context || !sameRuleText(hit.rule, r)) {
      hit = { rule: r, context, in: compileRule(r, 'in', input, aliases), out: compileRule(r, 'out', input, aliases), generation };
      cache.rules.set(r.id, hit);
    }
    hit.generation = generation;
    for (const c of hit.in) sides.in.push(c);
    for (const c of hit.out) sides.out.push(c);
  }
  for (const [id, entry] of cache.rules) if (entry.generation !== generation) cache.rules.delete(id);
  return sides;
}

/** The tail of a rules chain: pf's last match among non-quick rules. */
function lastMatchTail(anyNonQuick: boolean): string[] {
  if (!anyNonQuick) return [];
  return [
    `meta mark & ${RETURN_BITS} == ${RETURN_BITS} meta l4proto tcp reject with tcp reset`,
    `meta mark & ${RETURN_BITS} == ${RETURN_BITS} reject`,
    `meta mark & ${VERDICT_KEEP_BITS} == ${PASS_KEEP_BITS} ${keepState} accept`,
    `meta mark & ${RETURN_BITS} == ${PASS_BIT} accept`,
    `meta mark & ${RETURN_BITS} == ${BLOCK_BIT} drop`,
  ];
}

/** The read-only rules around the user's (GET /api/v1/rules/system shows them). */
export function systemRules(input: Pick<CompileInput, 'managementPorts' | 'blockLogging'>) {
  const mgmt = input.managementPorts.length ? `tcp dport { ${input.managementPorts.join(', ')} } ${keepState} accept` : null;
  const logDrop = input.blockLogging ? `log group ${NFLOG_GROUP} prefix "block default " drop` : 'drop';
  // Ping and the API keep state, so their answers pass whatever the operator's out rules say.
  return {
    input: ['iif "lo" accept', STATE_PASS, 'ct state invalid drop', `icmp type echo-request ${keepState} accept`,
      'icmpv6 type { echo-request, nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept', ...(mgmt ? [mgmt] : [])],
    inputTail: [logDrop],
    fwdIn: [STATE_PASS, 'ct state invalid drop'],
    fwdInTail: [logDrop],
    out: [STATE_PASS],
    /** AiFw's default `pass out keep state`: what leaves unmatched passes (the policy) and keeps state. */
    outTail: [keepState],
  };
}

/**
 * Rules sit in blocks, chains the parent jumps to in order (same verdicts: accept and drop end the hook, a block
 * falling off its end returns). A change rewrites only its block (`flush chain` + `add rule`), which needs no rule
 * handles: nft never has to read the whole ruleset back, and the kernel rebuilds one small chain. Where a block ends
 * is decided by its rules' keys (after a key whose hash is 0 modulo BLOCK, so BLOCK rules on average, and at
 * MAX_BLOCK at most), and a block is named after its first key: a rule added, removed or moved changes the block
 * it lands in or leaves, not every block after it as fixed-size blocks would.
 */
export const BLOCK = 64;
export const MAX_BLOCK = 4 * BLOCK;

/** FNV-1a, 32 bits: cheap and stable across runs. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function blocks(prefix: string, rules: CompiledRule[]): CompiledChain[] {
  const out: CompiledChain[] = [];
  const names = new Set<string>();
  let start = 0;
  const close = (end: number) => {
    let name = `${prefix}_${hash32(rules[start].key).toString(36)}`;
    // Two first keys hashing alike (rare): the later block takes a suffix.
    for (let n = 2; names.has(name); n++) name = `${prefix}_${hash32(rules[start].key).toString(36)}_${n}`;
    names.add(name);
    out.push({ name, head: [], rules: rules.slice(start, end), tail: [], parent: prefix });
    start = end;
  };
  for (let i = 0; i < rules.length; i++) {
    if (hash32(rules[i].key) % BLOCK === 0 || i + 1 - start === MAX_BLOCK) close(i + 1);
  }
  if (start < rules.length) close(rules.length);
  return out;
}

/** The user rules of one parent chain ('in', 'out', 'geo'), in evaluation order. */
export const rulesOf = (c: Compiled, parent: 'in' | 'out' | 'geo'): CompiledRule[] => c.chains.filter((ch) => ch.parent === parent).flatMap((ch) => ch.rules);

/**
 * An address alias's sets: one per family its elements hold; an empty alias keeps its IPv4 set (rules naming it
 * match on IPv4 and see it empty). No IPv6 set for an IPv4-only alias: the kernel finds a rule's set by name among
 * all of the table's, so every unused set slows every rule added.
 */
function aliasSets(view: AliasView): CompiledSet[] {
  const { alias } = view;
  if (alias.alias_type === 'port') return [{ name: portSet(alias.name), type: 'inet_service', elements: view.ports }];
  const families = view.families.length ? view.families : [4 as const];
  return families.map((f) => ({ name: aliasSet(alias.name, f), type: f === 4 ? 'ipv4_addr' : 'ipv6_addr', elements: f === 4 ? view.v4 : view.v6 }));
}

export function compile(input: CompileInput): Compiled {
  const cache = input.cache ?? createCompileCache();
  const aliases = aliasIndex(input.aliases, cache);
  const sets: CompiledSet[] = [];
  for (const a of [...input.aliases].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) sets.push(...aliasSets(aliases.get(a.name)!));
  const geo = input.geoip.filter((g) => g.status === 'active');
  const geoRules: CompiledRule[] = [];
  for (const g of [...geo].sort(byCreated)) {
    const nets = geoElements(input.countryNetworks(g.country), cache);
    for (const family of [4, 6] as const) {
      const name = geoSet(g.country, family);
      if (!sets.some((s) => s.name === name)) sets.push({ name, type: family === 4 ? 'ipv4_addr' : 'ipv6_addr', elements: nets[family] });
      const key = `${g.id}.${family}`;
      const verdict = g.action === 'allow' ? 'accept' : `log group ${NFLOG_GROUP} prefix "block geoip " drop`;
      geoRules.push({ key, text: `${family === 4 ? 'ip' : 'ip6'} saddr @${name} ${verdict} ${comment(key, g.label)}` });
    }
  }

  const ordered = [...input.rules].sort(byRuleOrder);
  const scheduledOut: string[] = [];
  const { in: rulesIn, out: rulesOut } = compileRules(ordered, input, aliases, cache, scheduledOut);
  const nonQuick = ordered.some((r) => r.status === 'active' && !r.quick);
  const sys = systemRules(input);
  const resetMark = nonQuick ? [`meta mark set meta mark & ${KEEP_OTHER_BITS}`] : [];
  const inBlocks = blocks('in', rulesIn);
  const outBlocks = blocks('out', rulesOut);
  const geoBlocks = blocks('geo', geoRules);
  const jumps = (bs: CompiledChain[]) => bs.map((b) => `jump ${b.name}`);
  const chains: CompiledChain[] = [
    { name: 'input', head: ['type filter hook input priority filter; policy drop;', ...sys.input, 'jump geoip', ...resetMark, 'jump rules_in', ...lastMatchTail(nonQuick)], rules: [], tail: sys.inputTail },
    { name: 'fwd_in', head: ['type filter hook forward priority filter; policy drop;', ...sys.fwdIn, 'jump geoip', ...resetMark, 'jump rules_in', ...lastMatchTail(nonQuick)], rules: [], tail: sys.fwdInTail },
    { name: 'fwd_out', head: ['type filter hook forward priority filter + 10; policy accept;', ...sys.out, ...resetMark, 'jump rules_out', ...lastMatchTail(nonQuick)], rules: [], tail: sys.outTail },
    { name: 'output', head: ['type filter hook output priority filter; policy accept;', ...sys.out, ...resetMark, 'jump rules_out', ...lastMatchTail(nonQuick)], rules: [], tail: sys.outTail },
    { name: KEEP_CHAIN, head: [`${keepState} accept`], rules: [], tail: [] },
    { name: 'geoip', head: jumps(geoBlocks), rules: [], tail: [] },
    { name: 'rules_in', head: jumps(inBlocks), rules: [], tail: [] },
    { name: 'rules_out', head: jumps(outBlocks), rules: [], tail: [] },
    ...geoBlocks, ...inBlocks, ...outBlocks,
  ];
  return { sets, chains, nat: compileNat(input.nat, aliases), scheduledOut };
}

function natMatch(n: NatRule): string[] {
  const parts: string[] = [];
  const proto = l4(n.protocol);
  if (proto) parts.push(proto);
  if (n.src_addr !== 'any') parts.push(`ip saddr ${tableOf(n.src_addr) ? `@${aliasSet(tableOf(n.src_addr)!, 4)}` : n.src_addr}`);
  if (n.dst_addr !== 'any') parts.push(`ip daddr ${tableOf(n.dst_addr) ? `@${aliasSet(tableOf(n.dst_addr)!, 4)}` : n.dst_addr}`);
  if (n.src_port) parts.push(`th sport ${range(n.src_port)}`);
  if (n.dst_port) parts.push(`th dport ${range(n.dst_port)}`);
  return parts;
}

const target = (address: string, port: PortRange | null) => (port ? `${address}:${range(port)}` : address);

/** NAT rules in created_at order: prerouting (dnat, binat in, reflection) and postrouting (snat, masquerade, binat out). */
export function compileNat(nat: NatRule[], aliases: AliasIndex = new Map()): string[] {
  const pre: string[] = [];
  // Sets live per table: the NAT table carries its own copy of each address alias its rules name.
  const referenced = [...new Set(nat.filter((n) => n.status === 'active').flatMap((n) => [tableOf(n.src_addr), tableOf(n.dst_addr)]).filter((t): t is string => !!t))].sort();
  const sets = referenced.map((name) => {
    return setText({ name: aliasSet(name, 4), type: 'ipv4_addr', elements: aliases.get(name)?.v4 ?? [] });
  });
  const post: string[] = [];
  for (const n of [...nat].sort(byCreated)) {
    if (n.status !== 'active') continue;
    const c = comment(n.id, n.label);
    const m = natMatch(n).join(' ');
    const ifIn = `iifname "${n.interface}"`;
    const ifOut = `oifname "${n.interface}"`;
    switch (n.nat_type) {
      case 'dnat': {
        const to = target(n.redirect.address, n.redirect.port);
        pre.push(`${ifIn} ${m} dnat to ${to} ${c}`.replace(/ +/g, ' '));
        // Reflection: LAN clients reaching the public address are redirected too, and masqueraded so the server's
        // answer comes back through the box.
        const local = n.dst_addr === 'any' ? 'fib daddr type local ' : '';
        pre.push(`iifname != "${n.interface}" ${local}${m} dnat to ${to} ${c}`.replace(/ +/g, ' '));
        const rl4 = l4(n.protocol);
        const rport = n.redirect.port ? ` th dport ${range(n.redirect.port)}` : n.dst_port ? ` th dport ${range(n.dst_port)}` : '';
        post.push(`iifname != "${n.interface}" ct status dnat ip daddr ${n.redirect.address}${rl4 ? ` ${rl4}` : ''}${rport} masquerade ${c}`);
        break;
      }
      case 'snat':
        // To the interface's own address: what masquerade does.
        if (n.redirect.address === 'any') {
          post.push(`${ifOut} ${m} masquerade${n.redirect.port ? ` to :${range(n.redirect.port)}` : ''} ${c}`.replace(/ +/g, ' '));
          break;
        }
        post.push(`${ifOut} ${m} snat to ${target(n.redirect.address, n.redirect.port)} ${c}`.replace(/ +/g, ' '));
        break;
      case 'masquerade':
        post.push(`${ifOut} ${m} masquerade${n.redirect.port ? ` to :${range(n.redirect.port)}` : ''} ${c}`.replace(/ +/g, ' '));
        break;
      case 'binat': {
        // binat: the internal host (src_addr) appears as the external address (redirect) both ways.
        post.push(`${ifOut} ip saddr ${n.src_addr} snat to ${n.redirect.address} ${c}`);
        pre.push(`${ifIn} ip daddr ${n.redirect.address} dnat to ${n.src_addr} ${c}`);
        break;
      }
    }
  }
  return [
    ...sets,
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    ...pre.map((l) => `    ${l}`),
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    ...post.map((l) => `    ${l}`),
    '  }',
  ];
}

/** A set's declaration: intervals (prefixes and ranges), merged by the compiler (set-elements.ts), so no auto-merge. */
export const setDeclaration = (s: CompiledSet) => `type ${s.type}; flags interval;`;

function setText(s: CompiledSet): string {
  const elements = s.elements.length ? ` elements = { ${s.elements.join(', ')} }` : '';
  return `  set ${s.name} { ${setDeclaration(s)}${elements} }`;
}

function chainText(c: CompiledChain): string {
  return [`  chain ${c.name} {`, ...c.head.map((l) => `    ${l}`), ...c.rules.map((r) => `    ${r.text}`), ...c.tail.map((l) => `    ${l}`), '  }'].join('\n');
}

/** The filter table as nft prints it (for inspection and the e2e's messages). */
export function filterTableText(c: Compiled): string {
  return [`table ${FILTER_TABLE} {`, ...c.sets.map(setText), ...c.chains.map(chainText), '}'].join('\n');
}

export function natTableText(c: Compiled): string {
  return [`table ${NAT_TABLE} {`, ...c.nat, '}'].join('\n');
}

/**
 * One `nft -f` script replacing both tables atomically: "add table" then "delete table" makes the delete succeed
 * whether or not the table exists, the new definition follows in the same transaction, and a script failing
 * anywhere leaves the running ruleset as it was. Other tables are never named.
 */
export function fullScript(c: Compiled): string {
  return [
    `add table ${FILTER_TABLE}`, `delete table ${FILTER_TABLE}`, filterTableText(c),
    `add table ${NAT_TABLE}`, `delete table ${NAT_TABLE}`, natTableText(c), '',
  ].join('\n');
}

/** pf-output, as AiFw's inspection route: the compiled NAT table. */
export { emitAction };

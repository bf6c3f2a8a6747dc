import { NFT_FAMILY, NFT_TABLE, type LearnedBinding } from './compiled.types.js';
import { nftName } from './names.js';
import { parseNetwork } from './cidr.js';
import { PORT_PROTOCOLS, type PortRange } from './match-values.js';
import { mergeRules, type RuleBlock } from './merge-rules.js';
import { RECORD_SETS, type GroupFrame, type LearnedSet, type Program, type ProgramGroup, type ProgramRule, type RecordSets } from './program.js';

/** Denied tuples are kept this long after their last packet (the poller reads them long before). */
const RECORD_TIMEOUT = '1h';
/** Per record set; when full, recording stops but the verdict still applies (it is a separate rule). */
const RECORD_SIZE = 65536;

const list = (items: Array<string | number>) => `{ ${items.join(', ')} }`;

/** One rule's matches: fixed parts, then fields (a key and its alternatives) that can be looked up as one concatenation. */
interface RuleMatch {
  /** The DNS-learned set the destination must be in. */
  learned: string | null;
  fixed: string[];
  fields: Array<{ key: string; values: string[] }>;
}

const portText = (r: PortRange) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`);

/** Field keys per family: constants, so shapes compare them by identity. */
const FIELD_KEYS = {
  4: { daddr: 'ip daddr', type: 'icmp type', code: 'icmp code', nfproto: 'meta nfproto ipv4' },
  6: { daddr: 'ip6 daddr', type: 'icmpv6 type', code: 'icmpv6 code', nfproto: 'meta nfproto ipv6' },
} as const;
/** `meta l4proto` values: one list per protocol, shared by the rules (never mutated). */
const protoValues = new Map<number, string[]>();
const ANY_PORT_PROTOCOL = PORT_PROTOCOLS.map(String);

function matchOf(rule: ProgramRule): RuleMatch {
  const fixed: string[] = [];
  const fields: RuleMatch['fields'] = [];
  const kw = FIELD_KEYS[rule.family === 6 ? 6 : 4];
  if (rule.daddr) fields.push({ key: kw.daddr, values: rule.daddr });
  if (rule.l4proto !== null) {
    let values = protoValues.get(rule.l4proto);
    if (!values) protoValues.set(rule.l4proto, (values = [String(rule.l4proto)]));
    fields.push({ key: 'meta l4proto', values });
  } else if (rule.sports.length || rule.dports.length) fields.push({ key: 'meta l4proto', values: ANY_PORT_PROTOCOL });
  else if (rule.family && !rule.daddr && !rule.daddrSet) fixed.push(kw.nfproto);
  if (rule.sports.length) fields.push({ key: 'th sport', values: rule.sports.map(portText) });
  if (rule.dports.length) fields.push({ key: 'th dport', values: rule.dports.map(portText) });
  if (rule.icmpTypes.length) fields.push({ key: kw.type, values: rule.icmpTypes.map(String) });
  if (rule.icmpCodes.length) fields.push({ key: kw.code, values: rule.icmpCodes.map(String) });
  return { learned: rule.daddrSet, fixed, fields };
}

/** Above this many concatenated elements, a rule keeps an anonymous set per field instead (smaller, still one rule). */
const CONCAT_MAX = 1024;
/** A shape with fewer elements stays plain rules: measured, a set costs about as much to load as ten rules. */
const SET_MIN = 12;

type Box = Array<[bigint, bigint]>;
/** One concatenated set element: its values, one per field, and their text (`a . b`). */
interface Element {
  text: string;
  values: string[];
}

/** Parsed intervals by field key and value (the same values recur across rules and groups); never mutated. */
const intervals = new Map<string, Map<string, [bigint, bigint]>>();
let intervalCount = 0;

function intervalOf(key: string, value: string): [bigint, bigint] {
  let byValue = intervals.get(key);
  if (!byValue) intervals.set(key, (byValue = new Map()));
  let interval = byValue.get(value);
  if (!interval) {
    if (intervalCount >= 100_000) {
      intervals.clear();
      intervalCount = 0;
      intervals.set(key, (byValue = new Map()));
    }
    interval = parseInterval(key, value);
    byValue.set(value, interval);
    intervalCount++;
  }
  return interval;
}

function parseInterval(key: string, value: string): [bigint, bigint] {
  if (key.endsWith('daddr')) {
    const n = parseNetwork(value);
    return [n.base, n.base + (1n << BigInt((n.family === 4 ? 32 : 128) - n.prefix)) - 1n];
  }
  const [from, to = from] = value.split('-').map((v) => BigInt(v));
  return [from, to];
}

/**
 * Every combination of the fields' values, as concatenated set elements. Most rules have one value per field: one
 * element, built without intermediate ones (65,536 rules make every array per element a GC cost).
 */
function elementsOf(fields: RuleMatch['fields']): Element[] {
  if (fields.every((f) => f.values.length === 1)) {
    const values = fields.map((f) => f.values[0]);
    return [{ text: values.join(' . '), values }];
  }
  let acc: Element[] = [{ text: '', values: [] }];
  for (const f of fields) {
    const next: Element[] = [];
    for (const e of acc) {
      for (const v of f.values) next.push({ text: e.text ? `${e.text} . ${v}` : v, values: [...e.values, v] });
    }
    acc = next;
  }
  return acc;
}

const setElement = (values: string[]) => ({ text: values.join(' . '), values });

/** The box of packets an element matches: an interval per field. */
const boxOf = (keys: string[], values: string[]): Box => values.map((v, i) => intervalOf(keys[i], v));

function intersect(a: Box, b: Box): boolean {
  for (let i = 0; i < a.length; i++) if (a[i][0] > b[i][1] || b[i][0] > a[i][1]) return false;
  return true;
}

/**
 * nft refuses overlapping elements in an interval set: overlapping ones go to separate sets (same verdict, so order
 * is free). Keys and values are those of the set's fields.
 */
function layers(keys: string[], elements: Array<{ text: string; values: string[] }>): string[][] {
  const out: Array<{ texts: string[]; boxes: Box[] }> = [];
  for (const e of elements) {
    const box = boxOf(keys, e.values);
    const layer = out.find((l) => !l.boxes.some((other) => intersect(other, box)));
    if (layer) {
      layer.texts.push(e.text);
      layer.boxes.push(box);
    } else out.push({ texts: [e.text], boxes: [box] });
  }
  return out.map((l) => l.texts);
}

interface Shape {
  fixed: string[];
  keys: string[];
  elements: Map<string, Element>;
}

/** DNS-learned rules of one block and shape, sharing one set of `address . their other fields` elements. */
interface LearnedShape {
  keys: string[];
  rules: Array<{ name: string; suffixes: string[] }>;
}

/** Above this many combinations of its other fields, a learned rule keeps a set of its own (each answer adds them all). */
const LEARNED_SUFFIX_MAX = 64;

/**
 * Whether a DNS-learned rule can share its group's learned set: no destination networks of its own and only single
 * values (a hash set keyed by exact elements, so rules sharing an element share one timeout, and the same verdict).
 */
const sharesLearned = (m: RuleMatch) =>
  !m.fixed.length && m.fields.every((f) => !f.key.endsWith('daddr') && f.values.every((v) => !v.includes('-'))) &&
  m.fields.reduce((n, f) => n * f.values.length, 1) <= LEARNED_SUFFIX_MAX;

/**
 * A block's rules as few nft rules: those of the same match shape become one rule whose concatenated fields are
 * looked up in one named interval set, so a block costs a rule per shape instead of a rule per policy rule. Named,
 * not anonymous: the kernel allocates an anonymous set's name by walking every set of the table, which makes
 * thousands of them cost seconds. A rule matching everything ends the block (and the chain).
 */
function blockShapes(block: RuleBlock): { shapes: Shape[]; learned: LearnedShape[]; plain: string[][]; final: boolean; ownSets: string[] } {
  const shapes: Shape[] = [];
  const learned = new Map<string, LearnedShape>();
  const plain: string[][] = [];
  const ownSets: string[] = [];
  let final = false;
  for (const rule of block.rules) {
    const m = matchOf(rule);
    if (m.learned && sharesLearned(m)) {
      const keys = m.fields.map((f) => f.key);
      const shape = learned.get(keys.join(' . ')) ?? { keys, rules: [] };
      shape.rules.push({ name: m.learned, suffixes: elementsOf(m.fields).map((e) => e.text).filter(Boolean) });
      learned.set(keys.join(' . '), shape);
      continue;
    }
    const fixed = m.learned ? [`ip daddr @${m.learned}`, ...m.fixed] : m.fixed;
    if (m.learned) ownSets.push(m.learned);
    if (!fixed.length && !m.fields.length) final = true;
    else if (m.fields.reduce((n, f) => n * f.values.length, 1) > CONCAT_MAX) {
      plain.push([...fixed, ...m.fields.map((f) => (f.values.length === 1 ? `${f.key} ${f.values[0]}` : `${f.key} ${list(f.values)}`))]);
    } else {
      // A block has a few shapes: found by comparing their (constant) parts, without a key string per rule.
      let shape = shapes.find((sh) => sameStrings(sh.fixed, fixed) && sh.keys.length === m.fields.length && sh.keys.every((k, i) => k === m.fields[i].key));
      if (!shape) shapes.push((shape = { fixed, keys: m.fields.map((f) => f.key), elements: new Map<string, Element>() }));
      for (const e of elementsOf(m.fields)) shape.elements.set(e.text, e);
    }
  }
  return { shapes, learned: [...learned.values()], plain, final, ownSets };
}

const sameStrings = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

const plainMatch = (keys: string[], element: string) => element.split(' . ').map((value, i) => `${keys[i]} ${value}`);

interface ChainParts {
  sets: string[];
  lines: string[];
  learned: LearnedBinding[];
}

/** Declares the learned sets of a block and binds the rules' set names to them; returns the matches using them. */
function learnedSets(group: ProgramGroup, shapes: LearnedShape[], ownSets: string[], out: ChainParts): string[] {
  const lines: string[] = [];
  for (const shape of shapes) {
    if (shape.rules.length === 1) {
      // Nothing to share: the rule keeps a set of its own, named as the DNS policy names it, holding addresses.
      const [{ name, suffixes }] = shape.rules;
      out.sets.push(...setDecl(name, 'ipv4_addr', ['timeout'], []));
      out.learned.push({ name, set: name, suffixes: [] });
      const rest = suffixes.length ? suffixes.map((s) => plainMatch(shape.keys, s).join(' ')) : [''];
      lines.push(...rest.map((r) => `ip daddr @${name}${r ? ` ${r}` : ''}`));
      continue;
    }
    // Named after what it holds, so a rule whose fields change gets a new set (and the table is replaced with the
    // addresses re-added) rather than keeping elements of the old fields.
    const set = nftName('dnsg', group.chain, ...shape.rules.map((r) => `${r.name}:${r.suffixes.join(',')}`));
    const typeLine = shape.keys.length ? `typeof ip daddr . ${shape.keys.join(' . ')}` : 'type ipv4_addr';
    out.sets.push(...setDecl(set, '', ['timeout'], [], [], 'set', typeLine));
    out.learned.push(...shape.rules.map((r) => ({ name: r.name, set, suffixes: r.suffixes })));
    lines.push(shape.keys.length ? `ip daddr . ${shape.keys.join(' . ')} @${set}` : `ip daddr @${set}`);
  }
  for (const name of ownSets) {
    if (out.learned.some((b) => b.name === name)) continue;
    out.sets.push(...setDecl(name, 'ipv4_addr', ['timeout'], []));
    out.learned.push({ name, set: name, suffixes: [] });
  }
  return lines;
}

/**
 * A set of elements is named after what it holds: a changed set is then a new set, which the data plane adds
 * beside the old one (then drops the old one) in a few milliseconds, where replacing the elements of a set in
 * place makes nft read the elements of every set in the table first.
 */
function elementSetName(chain: string, content: string[], taken: Set<string>): string {
  const base = nftName(chain, ...content);
  let name = base;
  for (let n = 1; taken.has(name); n++) name = `${base}_${n}`;
  taken.add(name);
  return name;
}

/** A group chain's rules, the named sets they look up (declared with the chain, named after it) and learned sets. */
function chainOf(group: ProgramGroup): ChainParts {
  const out: ChainParts = { sets: [], lines: [], learned: [] };
  const names = new Set<string>();
  for (const block of mergeRules(group.rules)) {
    const verdict = block.verdict === 'accept' ? 'accept' : `goto ${(block.verdict === 'drop' ? group.deny : group.audit)!.chain}`;
    const { shapes, learned, plain, final, ownSets } = blockShapes(block);
    // A block that matches everything needs no lookups of its own verdict (its learned rules learn for nothing).
    if (final) {
      out.lines.push(verdict);
      return out;
    }
    for (const shape of shapes) {
      const elements = [...shape.elements.values()];
      if (!shape.keys.length || elements.length < SET_MIN) {
        const matches = shape.keys.length ? elements.map((e) => e.values.map((value, i) => `${shape.keys[i]} ${value}`)) : [[]];
        out.lines.push(...matches.map((m) => [...shape.fixed, ...m, verdict].join(' ')));
        continue;
      }
      // A field every element has the same value in is matched once, outside the set: shorter keys load faster.
      const first = elements[0].values;
      const constant = shape.keys.map((_, i) => elements.every((e) => e.values[i] === first[i]));
      const fixed = [...shape.fixed, ...shape.keys.flatMap((k, i) => (constant[i] ? [`${k} ${first[i]}`] : []))];
      const setKeys = shape.keys.filter((_, i) => !constant[i]);
      const keys = setKeys.join(' . ');
      const setElements = constant.includes(true) ? elements.map((e) => setElement(e.values.filter((_, i) => !constant[i]))) : elements;
      for (const texts of layers(setKeys, setElements)) {
        const name = elementSetName(group.chain, [...fixed, keys, verdict, ...texts], names);
        out.sets.push(...setDecl(name, '', ['interval'], texts, [], 'set', `typeof ${keys}`));
        out.lines.push([...fixed, `${keys} @${name}`, verdict].join(' '));
      }
    }
    out.lines.push(...learnedSets(group, learned, ownSets, out).map((match) => `${match} ${verdict}`));
    out.lines.push(...plain.map((p) => [...p, verdict].join(' ')));
  }
  return out;
}

function setDecl(name: string, type: string, flags: string[], elements: string[], extra: string[] = [], kind: 'set' | 'map' = 'set', typeLine = `type ${type}`): string[] {
  return [
    `  ${kind} ${name} {`,
    `    ${typeLine}`,
    ...(flags.length ? [`    flags ${flags.join(',')}`] : []),
    ...extra.map((line) => `    ${line}`),
    ...(elements.length ? [`    elements = ${list(elements)}`] : []),
    '  }',
  ];
}

const recordSetDecls = (sets: RecordSets) => [
  ...setDecl(sets.l4, 'ipv4_addr . ipv4_addr . inet_proto . inet_service', ['dynamic', 'timeout'], [], [`timeout ${RECORD_TIMEOUT}`, `size ${RECORD_SIZE}`, 'counter']),
  ...setDecl(sets.icmp, 'ipv4_addr . ipv4_addr . icmp_type . icmp_code', ['dynamic', 'timeout'], [], [`timeout ${RECORD_TIMEOUT}`, `size ${RECORD_SIZE}`, 'counter']),
];

/** Records the IPv4 tuple (its own rule, so a full set never skips the verdict), then drops or accepts. */
const recordChain = (sets: RecordSets, verdict: 'drop' | 'accept') => [
  `  chain ${sets.chain} {`,
  `    meta nfproto ipv4 meta l4proto icmp update @${sets.icmp} { ip saddr . ip daddr . icmp type . icmp code }`,
  `    meta nfproto ipv4 meta l4proto != icmp update @${sets.l4} { ip saddr . ip daddr . meta l4proto . th dport }`,
  `    ${verdict}`,
  '  }',
];

/** One group's part of the table: its sets and chain as nft text, and where its DNS rules' addresses go. */
export interface RenderedGroup {
  /** Empty for a group without sources: it claims nothing and gets no chain. */
  nft: string;
  learned: LearnedBinding[];
}

/**
 * A group's sets and chain. Depends on the group alone (not on its claims or other groups), so a compiled group
 * can be reused whenever the group is unchanged. Rules whose packet rule never runs (shadowed, TLS-only, a group
 * without sources) learn into no set.
 */
export function renderGroup(group: ProgramGroup, learnedSets: LearnedSet[]): RenderedGroup {
  const learned: LearnedBinding[] = [];
  let nft = '';
  if (group.sources4.length || group.sources6.length) {
    const chain = chainOf(group);
    learned.push(...chain.learned);
    nft = [...chain.sets, `  chain ${group.chain} {`, ...chain.lines.map((line) => `    ${line}`), '  }'].join('\n');
  }
  const bound = new Set(learned.map((b) => b.name));
  for (const s of learnedSets) if (!bound.has(s.name)) learned.push({ name: s.name, set: null, suffixes: [] });
  return { nft, learned };
}

/** What surrounds the groups' chains in the script; depends on every group's claims and record sets. */
export interface RenderedFrame {
  head: string;
  tail: string;
}

/** The table's first lines: the same for every policy, so a script can be sent before its groups are compiled. */
export const TABLE_HEAD = [`add table ${NFT_FAMILY} ${NFT_TABLE}`, `delete table ${NFT_FAMILY} ${NFT_TABLE}`, `table ${NFT_FAMILY} ${NFT_TABLE} {`].join('\n');

/**
 * The table around the groups' chains. "add table" then "delete table" makes the delete succeed whether or not
 * the table exists; the new definition follows in the same transaction, so the swap is atomic and a script that
 * fails anywhere leaves the running table as it was. Everything that depends on all the groups (the record sets
 * and chains, which the group chains name before they are declared, and the source maps) comes after the groups:
 * the head is fixed, so the script can stream into nft group by group while it is compiled.
 */
export function renderFrame(defaultPolicy: Program['default_policy'], groups: GroupFrame[]): RenderedFrame {
  const claiming = groups.filter((g) => g.sources4.length || g.sources6.length);
  const sourceMaps = ([4, 6] as const).map((family) => ({
    family,
    name: `sources${family}`,
    elements: claiming.flatMap((g) => (family === 4 ? g.claimed4 : g.claimed6).map((r) => `${r} : jump ${g.chain}`)),
  }));
  const policy = defaultPolicy === 'allow' ? 'accept' : 'drop';
  const tail = [
    ...(claiming.some((g) => g.deny) ? [...recordSetDecls(RECORD_SETS.deny), ...recordChain(RECORD_SETS.deny, 'drop')] : []),
    ...(claiming.some((g) => g.audit) ? [...recordSetDecls(RECORD_SETS.audit), ...recordChain(RECORD_SETS.audit, 'accept')] : []),
    ...sourceMaps.flatMap((m) => (m.elements.length ? setDecl(m.name, `${m.family === 4 ? 'ipv4_addr' : 'ipv6_addr'} : verdict`, ['interval'], m.elements, [], 'map') : [])),
    '  chain forward {',
    `    type filter hook forward priority filter; policy ${policy};`,
    '    ct state established,related accept',
    // Each source jumps to the first group claiming it (the maps never overlap); a group chain ends in a verdict.
    ...sourceMaps.flatMap((m) => (m.elements.length ? [`    ${m.family === 4 ? 'ip' : 'ip6'} saddr vmap @${m.name}`] : [])),
    '  }',
    '}',
    '',
  ];
  return { head: TABLE_HEAD, tail: tail.join('\n') };
}

/** The script's first line and the frame's head: what a streamed script starts with. */
export const scriptStart = (generation: number, head: string) => `# rampart egress generation ${generation}\n${head}`;

/**
 * The whole table as one `nft -f` script: the frame around the groups' parts, in group order. A streamed script is
 * the same text: scriptStart, then "\n" and each non-empty group text, then "\n" and the tail.
 */
export function joinScript(generation: number, frame: RenderedFrame, groupTexts: string[]): string {
  return [scriptStart(generation, frame.head), ...groupTexts.filter(Boolean), frame.tail].join('\n');
}

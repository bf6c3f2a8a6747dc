import { NFT_FAMILY, NFT_TABLE } from '../compiler/compiled.types.js';

/**
 * The compiled script as the objects of Rampart's table, to tell whether a new generation differs from the running
 * one only in chains and static sets, which can then be added, changed or removed in place (one small transaction)
 * instead of replacing the table (one large one). Relies on the renderer's layout: `table ... {`, then each object from
 * `  chain|set|map NAME {` to `  }`, one rule or declaration per line.
 */
export interface ParsedScript {
  /** Everything outside the table's objects (the table lines and anything after), comments left out. */
  frame: string[];
  objects: TableObject[];
}

interface TableObject {
  kind: 'chain' | 'set' | 'map';
  name: string;
  lines: string[];
}

const TABLE = `${NFT_FAMILY} ${NFT_TABLE}`;
const OBJECT_START = /^ {2}(chain|set|map) (\S+) \{$/;

export function parseScript(text: string): ParsedScript {
  const frame: string[] = [];
  const objects: TableObject[] = [];
  let current: TableObject | null = null;
  for (const line of text.split('\n')) {
    if (current) {
      if (line === '  }') {
        objects.push(current);
        current = null;
      } else current.lines.push(line.trim());
      continue;
    }
    const start = OBJECT_START.exec(line);
    if (start) current = { kind: start[1] as TableObject['kind'], name: start[2], lines: [] };
    else if (line.trim() && !line.startsWith('#')) frame.push(line);
  }
  // An object left open is not the renderer's layout: compare it whole, so it never passes as unchanged.
  if (current) frame.push(...current.lines);
  return { frame, objects };
}

const sameLines = (a: string[], b: string[]) => a.length === b.length && a.every((line, i) => line === b[i]);
const isElements = (line: string) => line.startsWith('elements = ');
const isBaseChain = (o: TableObject) => o.lines.some((l) => l.startsWith('type '));
const isStatic = (o: TableObject) => !o.lines.some((l) => l.startsWith('flags') && /\b(dynamic|timeout)\b/.test(l));

/** One object's change as nft commands, or null when only a replacement of the table can make it. */
function objectChange(before: TableObject, after: TableObject): string[] | null {
  if (before.kind === 'chain') {
    if (isBaseChain(before) || isBaseChain(after)) return null;
    return [`flush chain ${TABLE} ${after.name}`, ...after.lines.map((rule) => `add rule ${TABLE} ${after.name} ${rule}`)];
  }
  // A static set or map whose declaration is the same but for its elements: replace the elements.
  if (!isStatic(before) || !sameLines(before.lines.filter((l) => !isElements(l)), after.lines.filter((l) => !isElements(l)))) return null;
  const elements = after.lines.find(isElements);
  return [`flush ${after.kind} ${TABLE} ${after.name}`, ...(elements ? [`add element ${TABLE} ${after.name} ${elements.slice('elements = '.length)}`] : [])];
}

export interface IncrementalChange {
  /** One `nft -f` transaction: objects added, elements replaced, chains refilled, then objects removed. */
  script: string;
  chains: number;
  sets: number;
}

const keyOf = (o: TableObject) => `${o.kind === 'chain' ? 'chain' : 'set'} ${o.name}`;
/** Objects the data plane can add or remove in place: group chains and static sets (learned and record sets hold state). */
const addable = (o: TableObject) => (o.kind === 'chain' ? !isBaseChain(o) : isStatic(o));
const declaration = (o: TableObject) => `add ${o.kind} ${TABLE} ${o.name} { ${o.lines.join('; ')} }`;
const chainRules = (o: TableObject) => o.lines.map((rule) => `add rule ${TABLE} ${o.name} ${rule}`);

/**
 * The commands turning the running table (`before`) into `after` in place, or null when that takes a replacement:
 * a different frame or base chain, a learned or record set added, removed or redeclared. Chains and static sets
 * may be added, removed or changed (a set named after its elements changes by being added anew and the old one removed).
 */
export function incrementalChange(before: ParsedScript, after: ParsedScript): IncrementalChange | null {
  if (!sameLines(before.frame, after.frame)) return null;
  const old = new Map(before.objects.map((o) => [keyOf(o), o]));
  const next = new Map(after.objects.map((o) => [keyOf(o), o]));
  const script = { add: [] as string[], addChains: [] as string[], elements: [] as string[], rules: [] as string[], remove: [] as string[], removeSets: [] as string[] };
  let chains = 0;
  let sets = 0;
  for (const a of after.objects) {
    const b = old.get(keyOf(a));
    if (b && b.kind === a.kind && sameLines(b.lines, a.lines)) continue;
    if (b) {
      const change = b.kind === a.kind ? objectChange(b, a) : null;
      if (!change) return null;
      (a.kind === 'chain' ? script.rules : script.elements).push(...change);
    } else {
      if (!addable(a)) return null;
      if (a.kind === 'chain') {
        script.addChains.push(`add chain ${TABLE} ${a.name}`);
        script.rules.push(...chainRules(a));
      } else script.add.push(declaration(a));
    }
    if (a.kind === 'chain') chains++;
    else sets++;
  }
  for (const b of before.objects) {
    if (next.has(keyOf(b))) continue;
    if (!addable(b)) return null;
    if (b.kind === 'chain') script.remove.push(`flush chain ${TABLE} ${b.name}`, `delete chain ${TABLE} ${b.name}`);
    else script.removeSets.push(`delete ${b.kind} ${TABLE} ${b.name}`);
    if (b.kind === 'chain') chains++;
    else sets++;
  }
  const lines = [...script.add, ...script.addChains, ...script.elements, ...script.rules, ...script.remove, ...script.removeSets];
  return { script: lines.length ? `${lines.join('\n')}\n` : '', chains, sets };
}

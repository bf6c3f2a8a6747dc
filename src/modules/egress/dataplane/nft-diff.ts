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
  /** Each object by its text: the next parse reuses those whose text is unchanged (the same object, compared by identity). */
  byText: Map<string, TableObject>;
}

interface TableObject {
  kind: 'chain' | 'set' | 'map';
  name: string;
  lines: string[];
}

const TABLE = `${NFT_FAMILY} ${NFT_TABLE}`;
const OBJECT_START = /^ {2}(chain|set|map) (\S+) \{$/;
const OBJECT_END = '\n  }';

/**
 * The script's frame lines and objects. An object's text is looked up in `known` (the last parse's objects) before
 * it is split into lines: a generation that changes one group of a thousand parses that group's objects only, and
 * the others are the running table's objects again, which the diff compares by identity.
 */
export function parseScript(text: string, known: Map<string, TableObject> = new Map()): ParsedScript {
  const frame: string[] = [];
  const objects: TableObject[] = [];
  const byText = new Map<string, TableObject>();
  let at = 0;
  while (at < text.length) {
    let eol = text.indexOf('\n', at);
    if (eol < 0) eol = text.length;
    const line = text.slice(at, eol);
    const start = OBJECT_START.exec(line);
    // An object ends at a line "  }"; one left open is not the renderer's layout: its lines go to the frame, so
    // it never passes as unchanged.
    let end = start ? text.indexOf(OBJECT_END, eol) : -1;
    while (end >= 0 && end + OBJECT_END.length < text.length && text[end + OBJECT_END.length] !== '\n') end = text.indexOf(OBJECT_END, end + 1);
    if (!start || end < 0) {
      if (line.trim() && !line.startsWith('#')) frame.push(line);
      at = eol + 1;
      continue;
    }
    const whole = text.slice(at, end + OBJECT_END.length);
    let object = known.get(whole) ?? byText.get(whole);
    if (!object) {
      const body = end > eol ? text.slice(eol + 1, end).split('\n').map((l) => l.trim()) : [];
      object = { kind: start[1] as TableObject['kind'], name: start[2], lines: body };
    }
    byText.set(whole, object);
    objects.push(object);
    at = end + OBJECT_END.length + 1;
  }
  return { frame, objects, byText };
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
    if (b === a || (b && b.kind === a.kind && sameLines(b.lines, a.lines))) continue;
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

import { NFT_FAMILY, NFT_TABLE } from '../compiler/compiled.types.js';

/**
 * The compiled script as the objects of Rampart's table, to tell whether a new generation differs from the running
 * one only inside chains and static sets, which can then be changed in place (one small transaction) instead of
 * replacing the table (one large one). Relies on the renderer's layout: `table ... {`, then each object from
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
  /** One `nft -f` transaction: element replacements first, then the chains' flushes and rules. */
  script: string;
  chains: number;
  sets: number;
}

/**
 * The commands turning the running table (`before`) into `after` in place, or null when the two differ in anything
 * but chain rules and static sets' elements (objects added, removed, reordered, retyped; base chains; the frame).
 */
export function incrementalChange(before: ParsedScript, after: ParsedScript): IncrementalChange | null {
  if (!sameLines(before.frame, after.frame) || before.objects.length !== after.objects.length) return null;
  const setCommands: string[] = [];
  const chainCommands: string[] = [];
  let chains = 0;
  let sets = 0;
  for (let i = 0; i < after.objects.length; i++) {
    const [b, a] = [before.objects[i], after.objects[i]];
    if (b.kind !== a.kind || b.name !== a.name) return null;
    if (sameLines(b.lines, a.lines)) continue;
    const change = objectChange(b, a);
    if (!change) return null;
    if (a.kind === 'chain') {
      chainCommands.push(...change);
      chains++;
    } else {
      setCommands.push(...change);
      sets++;
    }
  }
  return { script: `${[...setCommands, ...chainCommands].join('\n')}\n`, chains, sets };
}

import { inPlaceChange, type InPlaceChange, type NftObject } from '../../../core/dataplane/nft-in-place.js';
import { NFT_FAMILY, NFT_TABLE } from '../compiler/compiled.types.js';

/**
 * The compiled script as the objects of Rampart's table, for the core's in-place diff (core/dataplane/nft-in-place.ts):
 * a new generation that differs from the running one only in chains and static sets is applied by one small
 * transaction instead of a replacement of the table. Relies on the renderer's layout: `table ... {`, then each object
 * from `  chain|set|map NAME {` to `  }`, one rule or declaration per line, a set's elements on one line.
 */
export interface ParsedScript {
  /** Everything outside the table's objects (the table lines and anything after), comments left out. */
  frame: string[];
  objects: NftObject[];
  /** Each object's text, in order: the next parse reuses those whose text is unchanged (the same object, compared by identity). */
  texts: string[];
}

const TABLE = `${NFT_FAMILY} ${NFT_TABLE}`;
const OBJECT_START = /^ {2}(chain|set|map) (\S+) \{$/;
const OBJECT_END = '\n  }';
const ELEMENTS = 'elements = { ';

/** One object's lines (trimmed) as the core diff sees it. Sets with dynamic or timeout flags are filled at run time. */
function objectOf(kind: 'chain' | 'set' | 'map', name: string, lines: string[]): NftObject {
  if (kind === 'chain') {
    const hook = lines[0]?.startsWith('type ') ? lines[0] : null;
    return { kind: 'chain', name, hook, rules: hook ? lines.slice(1) : lines };
  }
  const elements = lines.find((l) => l.startsWith(ELEMENTS));
  const declaration = lines.filter((l) => l !== elements).map((l) => `${l};`).join(' ');
  return {
    kind: 'set',
    keyword: kind,
    name,
    declaration,
    elements: elements ? elements.slice(ELEMENTS.length, -2).split(', ') : [],
    stateful: lines.some((l) => l.startsWith('flags') && /\b(dynamic|timeout)\b/.test(l)),
  };
}

/**
 * The last parse's object of that text: first the one at the same index (one compare of two flat strings, no hash
 * of either), else any of the same length (objects moved: a group added or removed before it).
 */
function knownObject(known: ParsedScript | undefined, index: number, whole: string, byLength: () => Map<number, number[]>): NftObject | undefined {
  if (!known) return undefined;
  if (known.texts[index] === whole) return known.objects[index];
  for (const i of byLength().get(whole.length) ?? []) if (known.texts[i] === whole) return known.objects[i];
  return undefined;
}

/**
 * The script's frame lines and objects. An object's text is looked up in `known` (the last parse) before it is
 * split into lines: a generation that changes one group of a thousand parses that group's objects only, and the
 * others are the running table's objects again, which the diff compares by identity.
 */
export function parseScript(text: string, known?: ParsedScript): ParsedScript {
  const frame: string[] = [];
  const objects: NftObject[] = [];
  const texts: string[] = [];
  let lengths: Map<number, number[]> | undefined;
  const byLength = () => {
    if (!lengths) {
      lengths = new Map();
      known!.texts.forEach((t, i) => {
        const same = lengths!.get(t.length);
        if (same) same.push(i);
        else lengths!.set(t.length, [i]);
      });
    }
    return lengths;
  };
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
    let object = knownObject(known, objects.length, whole, byLength);
    if (!object) {
      const body = end > eol ? text.slice(eol + 1, end).split('\n').map((l) => l.trim()) : [];
      object = objectOf(start[1] as 'chain' | 'set' | 'map', start[2], body);
    }
    texts.push(whole);
    objects.push(object);
    at = end + OBJECT_END.length + 1;
  }
  return { frame, objects, texts };
}

const sameLines = (a: string[], b: string[]) => a.length === b.length && a.every((line, i) => line === b[i]);

/**
 * The statements turning the running table (`before`) into `after` in place, or null when that takes a replacement:
 * a different frame, a base chain's hook or a set's declaration changed, a base chain or a learned or record set
 * added or removed (what those hold is restored only by a replacement).
 */
export function scriptChange(before: ParsedScript, after: ParsedScript): InPlaceChange | null {
  if (!sameLines(before.frame, after.frame)) return null;
  // An object both hold (the same object: its text is unchanged) changes nothing; the diff sees the others only.
  const kept = new Set(before.objects);
  const unchanged = new Set(after.objects.filter((o) => kept.has(o)));
  return inPlaceChange(TABLE, before.objects.filter((o) => !unchanged.has(o)), after.objects.filter((o) => !unchanged.has(o)));
}

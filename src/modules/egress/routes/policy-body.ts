/**
 * The JSON body of a policy write, parsed group by group: a group whose text is the text of a group of the last
 * body parsed is that parsed group again (the same frozen object), so a one-rule change to a 2 MiB policy of a
 * thousand groups runs JSON.parse over one group and the frame around the groups, and the policy model then finds
 * the other groups unchanged by identity (policy.model.ts) instead of comparing them member by member.
 *
 * The result is what JSON.parse of the whole text gives. Anything this parser does not expect (no source_groups
 * where it looks, a duplicate key on the way to them, text that could spell a prototype key, invalid JSON in any
 * piece) gives undefined, and the default parser then parses the text, with its errors and its checks.
 * The text is cut into the frame (the groups array left empty), each group, and what separates them; each piece is
 * valid JSON and the separators are JSON's, so the whole is valid exactly when every piece is.
 */

/**
 * Text that might spell `__proto__` or `constructor` (also through \u escapes) goes to the default parser, which
 * checks such keys. Only new text is tested: a group met before was tested then, and a key never spans two pieces.
 */
const SUSPECT = /__proto__|constructor|\\u/;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The groups of the last body: each one's text and parsed value (deeply frozen: every request repeating it shares it). */
let last: { texts: string[]; values: unknown[] } = { texts: [], values: [] };

class Bail extends Error {}
const bail = (): never => {
  throw new Bail();
};

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** A forward-only scanner over JSON text that finds where values end; validity is left to JSON.parse of the pieces. */
class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  char(): number {
    return this.text.charCodeAt(this.pos);
  }

  skipSpace(): void {
    while (isSpace(this.text.charCodeAt(this.pos))) this.pos++;
  }

  expect(c: number): void {
    this.skipSpace();
    if (this.char() !== c) bail();
    this.pos++;
  }

  /** A string at pos (its quotes included); returns its raw content. */
  string(): string {
    if (this.char() !== QUOTE) bail();
    const start = this.pos + 1;
    let end = start;
    for (;;) {
      end = this.text.indexOf('"', end);
      if (end < 0) bail();
      let slashes = 0;
      while (this.text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
      if (slashes % 2 === 0) break;
      end++;
    }
    this.pos = end + 1;
    return this.text.slice(start, end);
  }

  /** Skips one value of any kind. */
  value(): void {
    this.skipSpace();
    const c = this.char();
    if (c === QUOTE) return void this.string();
    if (c === 0x7b || c === 0x5b) return this.container(c === 0x7b ? 0x7d : 0x5d);
    while (this.pos < this.text.length) {
      const d = this.char();
      if (d === 0x2c || d === 0x7d || d === 0x5d || isSpace(d)) return;
      this.pos++;
    }
  }

  /** An object or array, brackets counted outside strings. */
  private container(close: number): void {
    let depth = 0;
    const text = this.text;
    for (;;) {
      const c = text.charCodeAt(this.pos);
      if (Number.isNaN(c)) bail();
      if (c === QUOTE) {
        this.string();
        continue;
      }
      this.pos++;
      if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (--depth === 0) {
          if (c !== close) bail();
          return;
        }
      }
    }
  }

  /**
   * The members of the object at pos: `found(key)` is called at each member's value; it returns true when it took
   * the value itself. A key seen twice bails when it is one `found` takes (JSON.parse keeps the last).
   */
  members(found: (key: string) => boolean, watched: string): void {
    this.expect(0x7b);
    this.skipSpace();
    if (this.char() === 0x7d) return void this.pos++;
    let seen = false;
    for (;;) {
      this.skipSpace();
      const key = this.string();
      this.expect(0x3a);
      if (key === watched) {
        if (seen) bail();
        seen = true;
      }
      if (!found(key)) this.value();
      this.skipSpace();
      const c = this.char();
      this.pos++;
      if (c === 0x7d) return;
      if (c !== 0x2c) bail();
    }
  }
}

/** Where the groups array is ([start, end) of its text), each group's text, and its value when it sat there last time. */
interface Cut {
  start: number;
  end: number;
  texts: string[];
  known: unknown[];
}

function cut(text: string): Cut | null {
  const s = new Scanner(text);
  let cutAt: Cut | null = null;
  s.members((key) => {
    if (key !== 'policy') return false;
    s.skipSpace();
    if (s.char() !== 0x7b) return false;
    s.members((inner) => {
      if (inner !== 'source_groups') return false;
      s.skipSpace();
      if (s.char() !== 0x5b) return false;
      cutAt = groupsArray(s);
      return true;
    }, 'source_groups');
    return true;
  }, 'policy');
  s.skipSpace();
  if (s.pos !== text.length) bail();
  return cutAt;
}

/**
 * The array at pos, element by element. An element whose text is the text of the last body's element at that
 * index is that element again, found by one compare (a string compare of two flat strings; neither scanned).
 */
function groupsArray(s: Scanner): Cut {
  const cutAt: Cut = { start: s.pos, end: 0, texts: [], known: [] };
  s.pos++;
  s.skipSpace();
  if (s.char() === 0x5d) {
    cutAt.end = ++s.pos;
    return cutAt;
  }
  for (;;) {
    s.skipSpace();
    const from = s.pos;
    const i = cutAt.texts.length;
    const lastText = last.texts[i];
    // slice + === rather than startsWith(lastText, from): the compare is a memcmp, startsWith was ten times slower.
    const same = lastText !== undefined && s.text.slice(from, from + lastText.length) === lastText;
    if (same) s.pos = from + lastText.length;
    else s.value();
    cutAt.texts.push(same ? lastText : s.text.slice(from, s.pos));
    cutAt.known.push(same ? last.values[i] : undefined);
    s.skipSpace();
    const c = s.char();
    s.pos++;
    if (c === 0x5d) {
      cutAt.end = s.pos;
      return cutAt;
    }
    if (c !== 0x2c) bail();
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** The last body's group of that text, wherever it sat (groups moved or inserted); compared only with texts of its length. */
function movedGroup(text: string, byLength: () => Map<number, number[]>): unknown {
  for (const i of byLength().get(text.length) ?? []) if (last.texts[i] === text) return last.values[i];
  return undefined;
}

/** A group seen for the first time: checked for prototype keys, parsed, frozen; undefined when the default parser is to take it. */
function newGroup(text: string): unknown {
  return SUSPECT.test(text) ? undefined : deepFreeze(JSON.parse(text));
}

/** What JSON.parse(text) gives, parsed group by group; undefined when the default parser is to take it. */
export function parsePolicyBody(text: string): unknown {
  let found: Cut | null;
  try {
    found = cut(text);
  } catch (err) {
    if (err instanceof Bail) return undefined;
    throw err;
  }
  if (!found) return undefined;
  const frame = text.slice(0, found.start) + '[]' + text.slice(found.end);
  if (SUSPECT.test(frame)) return undefined;
  let lengths: Map<number, number[]> | undefined;
  const byLength = () => {
    if (lengths) return lengths;
    lengths = new Map();
    last.texts.forEach((t, i) => {
      const same = lengths!.get(t.length);
      if (same) same.push(i);
      else lengths!.set(t.length, [i]);
    });
    return lengths;
  };
  try {
    const body = JSON.parse(frame) as { policy: { source_groups: unknown[] } };
    const values = found.texts.map((piece, i) => found.known[i] ?? movedGroup(piece, byLength) ?? newGroup(piece));
    if (values.includes(undefined)) return undefined;
    body.policy.source_groups = values;
    last = { texts: found.texts, values };
    return body;
  } catch {
    return undefined; // invalid JSON somewhere: the default parser says where
  }
}

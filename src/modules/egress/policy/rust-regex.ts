/**
 * Neuwerk compiles its regexes (dns_hostname, TLS names, HTTP matchers) with Rust's `regex` crate; Rampart runs them
 * in V8. This translates a Rust pattern into a JavaScript one with the same matches, so a policy written for Neuwerk
 * means the same here, and refuses what the translation cannot keep faithful (or what Rust itself refuses, such as
 * backreferences and look-around, so Rampart does not accept policies Neuwerk would reject).
 *
 * Differences handled: Unicode-aware `\d \w \s \b` (JavaScript's are ASCII), `.` excluding only `\n`, `\A \z`,
 * `(?P<name>...)`, inline flags `i m s U x u` (scoped and unscoped, translated per token, since Node 20 has no inline
 * modifiers; a change of `i` is possible only at the very start of a pattern, where it becomes the `i` flag),
 * `\x{...} \u{...} \U{...}`, `\a`, `\p{Greek}`, POSIX classes `[[:alpha:]]`, `\<` `\>` and `\b{start}`-style
 * boundaries, escaped punctuation, and a literal `]` first in a class. Refused: nested classes and class set
 * operations (`&&`, `--`, `~~`), CRLF mode `(?R)`, a mid-pattern change of case sensitivity, negated Perl classes
 * inside a class (`[\W]`).
 */

export interface JsRegex {
  source: string;
  flags: string;
}
export type Translation = { ok: true; regex: JsRegex } | { ok: false; message: string };

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
  x: boolean;
  u: boolean;
}

class Unsupported extends Error {}

const MAX_CODE_POINT = 0x10ffff;
const WORD_UNICODE = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';
type Ranges = [number, number][];
const r = (a: string, b = a): [number, number] => [a.codePointAt(0)!, b.codePointAt(0)!];

/** Rust's ASCII classes, as code point ranges. */
const POSIX: Record<string, Ranges> = {
  alnum: [r('0', '9'), r('A', 'Z'), r('a', 'z')],
  alpha: [r('A', 'Z'), r('a', 'z')],
  ascii: [[0, 0x7f]],
  blank: [r('\t'), r(' ')],
  cntrl: [[0, 0x1f], [0x7f, 0x7f]],
  digit: [r('0', '9')],
  graph: [r('!', '~')],
  lower: [r('a', 'z')],
  print: [r(' ', '~')],
  punct: [r('!', '/'), r(':', '@'), r('[', '`'), r('{', '~')],
  space: [r('\t', '\r'), r(' ')],
  upper: [r('A', 'Z')],
  word: [r('0', '9'), r('A', 'Z'), r('_'), r('a', 'z')],
  xdigit: [r('0', '9'), r('A', 'F'), r('a', 'f')],
};
const PERL_ASCII: Record<string, Ranges> = { d: POSIX.digit!, w: POSIX.word!, s: POSIX.space! };

function complement(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

const cp = (n: number) => `\\u{${n.toString(16)}}`;
const rangesBody = (ranges: Ranges) => ranges.map(([lo, hi]) => (lo === hi ? cp(lo) : `${cp(lo)}-${cp(hi)}`)).join('');

/** A character as a literal outside a class, in a `u`-mode JavaScript regex. */
function literal(c: string): string {
  if ('^$\\.*+?()[]{}|/'.includes(c)) return `\\${c}`;
  const code = c.codePointAt(0)!;
  return code < 0x20 || code === 0x7f ? cp(code) : c;
}

/** A character as a literal inside a class. */
function classLiteral(c: string): string {
  if ('\\]-^['.includes(c)) return `\\${c}`;
  const code = c.codePointAt(0)!;
  return code < 0x20 || code === 0x7f ? cp(code) : c;
}

/** Rust matches property names loosely ("greek", "lowercase letter"); JavaScript wants "Greek", "Lowercase_Letter". */
const canonical = (name: string) =>
  name
    .split(/[\s_-]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase())
    .join('_');

/** `\p{...}` names JavaScript knows as written, loosely spelled, or as a script. */
function property(name: string, negated: boolean): string {
  const letter = negated ? 'P' : 'p';
  const [key, value] = name.includes('=') ? name.split('=') : [undefined, name];
  const spellings = [...new Set([value!, canonical(value!)])];
  const candidates = key ? spellings.map((v) => `${key}=${v}`) : [...spellings, ...spellings.map((v) => `Script=${v}`)];
  for (const candidate of candidates) {
    try {
      new RegExp(`\\${letter}{${candidate}}`, 'u');
      return `\\${letter}{${candidate}}`;
    } catch {
      // try the next spelling
    }
  }
  throw new Unsupported(`the Unicode class \\p{${name}} is not known to JavaScript`);
}

class Translator {
  private pos = 0;
  private out = '';
  private flags: Flags;
  private readonly stack: Flags[] = [];
  private readonly globalI: boolean;

  constructor(private readonly src: string, caseInsensitive: boolean) {
    this.flags = { i: caseInsensitive, m: false, s: false, U: false, x: false, u: true };
    // A flag group at the very start may set case sensitivity for the whole pattern: that becomes the `i` flag.
    const lead = /^\(\?([a-zA-Z-]+)\)/.exec(src);
    if (lead) this.applyFlags(lead[1]!, true);
    this.globalI = this.flags.i;
    if (lead) this.pos = lead[0].length;
  }

  run(): JsRegex {
    while (this.pos < this.src.length) this.token();
    if (this.stack.length) throw new Error('unclosed group');
    return { source: this.out, flags: this.globalI ? 'iu' : 'u' };
  }

  private peek(offset = 0) {
    return this.src[this.pos + offset];
  }

  private applyFlags(spec: string, atStart: boolean) {
    if (spec.endsWith('-')) throw new Error('a flag group may not end in "-"');
    let on = true;
    for (const f of spec) {
      if (f === '-') {
        on = false;
        continue;
      }
      if (f === 'R') throw new Unsupported('CRLF mode (?R) cannot be expressed in JavaScript');
      if (!'imsUxu'.includes(f)) throw new Error(`unrecognized flag ${f}`);
      if (f === 'i' && !atStart && on !== this.globalI) {
        throw new Unsupported('changing case sensitivity inside a pattern ((?i) or (?-i) after its start) cannot be expressed in JavaScript');
      }
      this.flags[f as keyof Flags] = on;
    }
  }

  private token() {
    const c = this.src[this.pos++]!;
    if (this.flags.x && /\s/.test(c)) return;
    if (this.flags.x && c === '#') {
      while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
      return;
    }
    switch (c) {
      case '\\':
        return this.escape();
      case '.':
        this.out += this.flags.s ? '[\\s\\S]' : '[^\\n]';
        return;
      case '^':
        this.out += this.flags.m ? '(?<![^\\n])' : '^';
        return;
      case '$':
        this.out += this.flags.m ? '(?![^\\n])' : '$';
        return;
      case '|':
        this.out += '|';
        return;
      case '(':
        return this.group();
      case ')':
        if (!this.stack.length) throw new Error('unopened group');
        this.flags = this.stack.pop()!;
        this.out += ')';
        return;
      case '[':
        return this.cls();
      case '*':
      case '+':
      case '?':
        return this.quantifier(c);
      case '{': {
        const counted = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos - 1));
        if (!counted) throw new Error('invalid repetition: "{" must start a counted repetition such as {2,5}');
        this.pos += counted[0].length - 1;
        return this.quantifier(counted[0]);
      }
      default:
        this.out += literal(c);
    }
  }

  private quantifier(q: string) {
    let lazy = false;
    if (this.peek() === '?') {
      lazy = true;
      this.pos++;
    }
    if (this.flags.U) lazy = !lazy;
    this.out += q + (lazy ? '?' : '');
  }

  private group() {
    const rest = this.src.slice(this.pos);
    this.stack.push({ ...this.flags });
    if (!rest.startsWith('?')) {
      this.out += '(';
      return;
    }
    const named = /^\?P?<([^>]*)>/.exec(rest);
    if (named && !rest.startsWith('?<=') && !rest.startsWith('?<!')) {
      const name = named[1]!;
      if (!/^[A-Za-z_][A-Za-z0-9_.[\]]*$/.test(name)) throw new Error(`invalid capture group name "${name}"`);
      this.pos += named[0].length;
      // Nothing reads the captures: a name JavaScript cannot spell becomes a plain group, which matches the same.
      this.out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `(?<${name}>` : '(';
      return;
    }
    const flagGroup = /^\?([a-zA-Z-]*)(:|\))/.exec(rest);
    if (flagGroup) {
      this.pos += flagGroup[0].length;
      if (flagGroup[2] === ')') {
        if (flagGroup[1] === '') throw new Error('empty flag group "(?)"');
        this.stack.pop();
        this.applyFlags(flagGroup[1]!, false);
        return;
      }
      this.applyFlags(flagGroup[1]!, false);
      this.out += '(?:';
      return;
    }
    if (/^\?(=|!|<=|<!)/.test(rest)) throw new Error('look-around is not supported');
    throw new Error(`unsupported group syntax "(${rest.slice(0, 3)}"`);
  }

  /** Reads an escape after the backslash: a code point, a set body (as written inside brackets), or an assertion. */
  private readEscape(inClass: boolean): { char: number } | { set: string; negatedSet?: boolean } | { assertion: string } {
    const c = this.src[this.pos++];
    if (c === undefined) throw new Error('incomplete escape sequence at the end of the pattern');
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, f: 12, v: 11, a: 7 };
    if (c in simple) return { char: simple[c]! };
    if ('dwsDWS'.includes(c)) return this.perlClass(c, inClass);
    if (c === 'p' || c === 'P') return { set: this.unicodeClass(c === 'P') };
    if (c === 'x' || c === 'u' || c === 'U') return { char: this.hexEscape(c) };
    if (/[0-9]/.test(c)) throw new Error('backreferences and octal escapes are not supported');
    if (!inClass) {
      if (c === 'A') return { assertion: '^' };
      if (c === 'z') return { assertion: '$' };
      if (c === 'b' || c === 'B' || c === '<' || c === '>') return { assertion: this.boundary(c) };
    }
    if (/[A-Za-z]/.test(c)) throw new Error(`unrecognized escape sequence \\${c}`);
    return { char: c.codePointAt(0)! };
  }

  private perlClass(c: string, inClass: boolean): { set: string; negatedSet?: boolean } {
    const negated = c === c.toUpperCase();
    const kind = c.toLowerCase();
    if (!this.flags.u) {
      return { set: rangesBody(negated ? complement(PERL_ASCII[kind]!) : PERL_ASCII[kind]!) };
    }
    if (kind === 'd') return { set: negated ? '\\P{Nd}' : '\\p{Nd}' };
    if (kind === 's') return { set: negated ? '\\P{White_Space}' : '\\p{White_Space}' };
    if (negated && inClass) throw new Unsupported('\\W inside a character class cannot be expressed in JavaScript');
    return { set: WORD_UNICODE, negatedSet: negated };
  }

  private unicodeClass(negated: boolean): string {
    let name: string;
    if (this.peek() === '{') {
      const end = this.src.indexOf('}', this.pos);
      if (end === -1) throw new Error('unclosed \\p{...}');
      name = this.src.slice(this.pos + 1, end).trim();
      this.pos = end + 1;
    } else {
      name = this.src[this.pos++] ?? '';
    }
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    if (name.includes('!=')) {
      negated = !negated;
      name = name.replace('!=', '=');
    }
    const [key, value] = name.split(/\s*[:=]\s*/);
    const spelled = value === undefined ? key! : `${({ sc: 'Script', scx: 'Script_Extensions', gc: 'General_Category' } as Record<string, string>)[key!] ?? key}=${value}`;
    return property(spelled, negated);
  }

  private hexEscape(kind: string): number {
    let hex: string;
    if (this.peek() === '{') {
      const end = this.src.indexOf('}', this.pos);
      if (end === -1) throw new Error('unclosed hex escape');
      hex = this.src.slice(this.pos + 1, end);
      this.pos = end + 1;
    } else {
      const width = kind === 'x' ? 2 : kind === 'u' ? 4 : 8;
      hex = this.src.slice(this.pos, this.pos + width);
      if (hex.length !== width) throw new Error(`\\${kind} needs ${width} hex digits`);
      this.pos += width;
    }
    if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) throw new Error(`invalid hex escape "${hex}"`);
    const value = parseInt(hex, 16);
    if (value > MAX_CODE_POINT || (value >= 0xd800 && value <= 0xdfff)) throw new Error(`hex escape ${hex} is not a Unicode scalar value`);
    return value;
  }

  private boundary(c: string): string {
    let kind = c === '<' ? 'start' : c === '>' ? 'end' : c;
    if (c === 'b' && this.peek() === '{') {
      const end = this.src.indexOf('}', this.pos);
      kind = this.src.slice(this.pos + 1, end);
      if (!['start', 'end', 'start-half', 'end-half'].includes(kind)) throw new Error(`unrecognized boundary \\b{${kind}}`);
      this.pos = end + 1;
    }
    const w = this.flags.u ? `[${WORD_UNICODE}]` : '[0-9A-Za-z_]';
    const before = `(?<=${w})`;
    const notBefore = `(?<!${w})`;
    const after = `(?=${w})`;
    const notAfter = `(?!${w})`;
    switch (kind) {
      case 'b':
        return `(?:${before}${notAfter}|${notBefore}${after})`;
      case 'B':
        return `(?:${before}${after}|${notBefore}${notAfter})`;
      case 'start':
        return `${notBefore}${after}`;
      case 'end':
        return `${before}${notAfter}`;
      case 'start-half':
        return notBefore;
      default:
        return notAfter;
    }
  }

  private escape() {
    const e = this.readEscape(false);
    if ('assertion' in e) this.out += e.assertion;
    else if ('char' in e) this.out += literal(String.fromCodePoint(e.char));
    else if (e.negatedSet) this.out += `[^${e.set}]`;
    else this.out += /^\\[pP]\{[^}]*\}$/.test(e.set) ? e.set : `[${e.set}]`;
  }

  /** A bracketed class, after its `[`. */
  private cls() {
    let body = '';
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    let first = true;
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) throw new Error('unclosed character class');
      if (c === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (this.flags.x && /\s/.test(c)) {
        this.pos++;
        continue;
      }
      if (c === '[') {
        const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.src.slice(this.pos));
        if (!posix) throw new Unsupported('nested character classes cannot be expressed in JavaScript');
        const ranges = POSIX[posix[2]!];
        if (!ranges) throw new Error(`unrecognized ASCII class [:${posix[2]}:]`);
        body += rangesBody(posix[1] ? complement(ranges) : ranges);
        this.pos += posix[0].length;
        continue;
      }
      const pair = this.src.slice(this.pos, this.pos + 2);
      if (pair === '&&' || pair === '--' || pair === '~~') throw new Unsupported(`character class set operations (${pair}) cannot be expressed in JavaScript`);
      const start = this.classAtom();
      if (typeof start === 'string') {
        body += start;
        continue;
      }
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos++;
        const end = this.classAtom();
        if (typeof end === 'string') throw new Error('invalid range: a class escape cannot end a range');
        if (end < start) throw new Error('invalid range: its start is above its end');
        body += `${classLiteral(String.fromCodePoint(start))}-${classLiteral(String.fromCodePoint(end))}`;
        continue;
      }
      body += classLiteral(String.fromCodePoint(start));
    }
    this.out += `[${negated ? '^' : ''}${body}]`;
  }

  /** One class member: a code point, or (for escapes such as `\d`) a set body as a string. */
  private classAtom(): number | string {
    const c = this.src[this.pos++]!;
    if (c !== '\\') return c.codePointAt(0)!;
    const e = this.readEscape(true);
    if ('assertion' in e) throw new Error('assertions are not allowed in a character class');
    if ('char' in e) return e.char;
    return e.set;
  }
}

/**
 * The JavaScript regex with the same matches as the Rust `pattern` (trimmed, as Neuwerk compiles it), or why there
 * is none. `caseInsensitive` is how the field compiles in Neuwerk (dns_hostname and TLS names: yes; HTTP paths,
 * query values and headers: no).
 */
export function translateRustRegex(pattern: string, caseInsensitive: boolean): Translation {
  const trimmed = pattern.trim();
  if (trimmed === '') return { ok: false, message: 'the regex is empty' };
  let regex: JsRegex;
  try {
    regex = new Translator(trimmed, caseInsensitive).run();
  } catch (err) {
    const why = (err as Error).message;
    const prefix = err instanceof Unsupported ? 'cannot be translated faithfully to JavaScript' : 'is not a valid regex';
    return { ok: false, message: `${JSON.stringify(pattern)} ${prefix}: ${why}` };
  }
  try {
    new RegExp(regex.source, regex.flags);
  } catch (err) {
    // V8 names the translated source; the author wrote the Rust one, so only the reason is kept.
    const why = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return { ok: false, message: `${JSON.stringify(pattern)} is not a valid regex: ${why}` };
  }
  return { ok: true, regex };
}

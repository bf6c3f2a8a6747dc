/**
 * Interval set elements merged by the compiler instead of by nft's `auto-merge`: a set declared with auto-merge
 * makes nft read every such set's elements back from the kernel before each transaction (thousands of dumps for a
 * large ruleset, and again for an in-place change). Merged here, overlapping and adjacent entries become one
 * element, the set needs no auto-merge, and the same configuration always gives the same element texts, so an
 * alias change is sent as the elements removed and added.
 */

interface Span<T extends number | string> {
  lo: T;
  hi: T;
}

/** Dotted quad to a number, without allocating (100,000 entries per alias are allowed). */
function parseV4(text: string, end = text.length): number {
  let value = 0;
  let octet = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      value = value * 256 + octet;
      octet = 0;
    } else octet = octet * 10 + c - 48;
  }
  return value * 256 + octet;
}

/**
 * IPv6 as 32 hex digits: fixed width, so string order is numeric order, and no bigint (100,000 bigints take seconds
 * to parse, sort and print).
 */
function hexV6(text: string): string {
  const gap = text.indexOf('::');
  const head = gap < 0 ? text : text.slice(0, gap);
  const tail = gap < 0 ? '' : text.slice(gap + 2);
  const left = groupsHex(head);
  const right = groupsHex(tail);
  return left + '0'.repeat(32 - left.length - right.length) + right;
}

/** "2001:db8" to "20010db8"; an embedded IPv4 tail (::ffff:192.0.2.1) counts as two groups. */
function groupsHex(part: string): string {
  if (part === '') return '';
  let out = '';
  for (const g of part.split(':')) out += g.includes('.') ? parseV4(g).toString(16).padStart(8, '0') : g.padStart(4, '0');
  return out;
}

/** The next address, or null after the last one. */
function nextHex(hex: string): string | null {
  let i = hex.length - 1;
  while (i >= 0 && hex[i] === 'f') i--;
  if (i < 0) return null;
  return `${hex.slice(0, i)}${(parseInt(hex[i], 16) + 1).toString(16)}${'0'.repeat(hex.length - i - 1)}`;
}

function formatV4(n: number): string {
  return `${Math.floor(n / 16777216)}.${Math.floor(n / 65536) & 255}.${Math.floor(n / 256) & 255}.${n & 255}`;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as "::". */
function formatV6(hex: string): string {
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(parseInt(hex.slice(i, i + 4), 16).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** IPv4 (and ports) in plain numbers: exact below 2^53, and much cheaper than bigint for 100,000 entries. */
function spanV4(entry: string): Span<number> {
  const slash = entry.indexOf('/');
  if (slash < 0) {
    const v = parseV4(entry);
    return { lo: v, hi: v };
  }
  const size = 2 ** (32 - Number(entry.slice(slash + 1)));
  const lo = Math.floor(parseV4(entry, slash) / size) * size; // host bits cleared: the network the prefix names
  return { lo, hi: lo + size - 1 };
}

function spanV6(entry: string): Span<string> {
  const [addr, prefix] = entry.split('/');
  const hex = hexV6(addr);
  if (prefix === undefined) return { lo: hex, hi: hex };
  const bits = Number(prefix);
  const whole = bits >> 2; // digits kept as they are
  const partial = bits & 3; // bits kept of the next digit
  if (whole === 32) return { lo: hex, hi: hex };
  const keep = (parseInt(hex[whole], 16) >> (4 - partial)) << (4 - partial);
  const free = (1 << (4 - partial)) - 1;
  const rest = 31 - whole;
  return {
    lo: `${hex.slice(0, whole)}${keep.toString(16)}${'0'.repeat(rest)}`,
    hi: `${hex.slice(0, whole)}${(keep | free).toString(16)}${'f'.repeat(rest)}`,
  };
}

/** The prefix length of an IPv6 span when it is exactly one prefix, else null. */
function v6Prefix(s: Span<string>): number | null {
  let i = 0;
  while (s.lo[i] === s.hi[i]) i++;
  if (!/^0*$/.test(s.lo.slice(i + 1)) || !/^f*$/.test(s.hi.slice(i + 1))) return null;
  const lo = parseInt(s.lo[i], 16);
  const span = lo ^ parseInt(s.hi[i], 16);
  // The differing digit must run from a multiple of its width to the top of it: lo ...000, hi ...111.
  if ((span & (span + 1)) !== 0 || (lo & span) !== 0) return null;
  return i * 4 + 4 - span.toString(2).length;
}

/** Sorted, with overlapping and adjacent spans joined; adjacent(a, b): b starts at most one after a ends. */
function merged<T extends number | string>(spans: Span<T>[], adjacent: (hi: T, lo: T) => boolean): Span<T>[] {
  spans.sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: Span<T>[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && adjacent(last.hi, s.lo)) {
      if (s.hi > last.hi) last.hi = s.hi;
    } else out.push({ ...s });
  }
  return out;
}

const adjacentNumber = (hi: number, lo: number) => lo <= hi + 1;
const adjacentHex = (hi: string, lo: string) => {
  if (lo <= hi) return true;
  const next = nextHex(hi);
  return next !== null && lo <= next;
};

function v4Text(s: Span<number>): string {
  if (s.lo === s.hi) return formatV4(s.lo);
  const size = s.hi - s.lo + 1;
  const log2 = Math.log2(size);
  return Number.isInteger(log2) && s.lo % size === 0 ? `${formatV4(s.lo)}/${32 - log2}` : `${formatV4(s.lo)}-${formatV4(s.hi)}`;
}

function v6Text(s: Span<string>): string {
  if (s.lo === s.hi) return formatV6(s.lo);
  const prefix = v6Prefix(s);
  return prefix === null ? `${formatV6(s.lo)}-${formatV6(s.hi)}` : `${formatV6(s.lo)}/${prefix}`;
}

/**
 * Addresses and prefixes of one family (as the alias parser keeps them) as merged interval elements, in order:
 * an address, a prefix when a merged span is exactly one, else a range.
 */
export function addressElements(entries: string[], family: 4 | 6): string[] {
  if (family === 4) return merged(entries.map(spanV4), adjacentNumber).map(v4Text);
  return merged(entries.map(spanV6), adjacentHex).map(v6Text);
}

/** Port entries ("80", "8000-8080") as merged interval elements, in order. */
export function portElements(entries: string[]): string[] {
  const spans = entries.map((e) => {
    const [lo, hi] = e.split('-').map(Number);
    return { lo, hi: hi ?? lo };
  });
  return merged(spans, adjacentNumber).map((s) => (s.lo === s.hi ? String(s.lo) : `${s.lo}-${s.hi}`));
}

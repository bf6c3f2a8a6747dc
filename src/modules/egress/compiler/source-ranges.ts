import { formatIp, parseIp, parseNetwork } from './cidr.js';

/** An inclusive address range of one family. */
interface Range {
  from: bigint;
  to: bigint;
}

const BITS = { 4: 32, 6: 128 } as const;

/** `ranges` minus everything in `claimed` (both sorted and disjoint). */
function unclaimed(range: Range, claimed: Range[]): Range[] {
  const out: Range[] = [];
  let from = range.from;
  for (const c of claimed) {
    if (c.to < from) continue;
    if (c.from > range.to) break;
    if (c.from > from) out.push({ from, to: c.from - 1n });
    from = c.to + 1n;
    if (from > range.to) return out;
  }
  out.push({ from, to: range.to });
  return out;
}

const byStart = (a: Range, b: Range) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0);

/** Both sorted: one merge, not a sort per owner (a thousand groups made claiming quadratic). */
function insertSorted(claimed: Range[], pieces: Range[]): Range[] {
  if (!pieces.length) return claimed;
  const sorted = [...pieces].sort(byStart);
  const out: Range[] = [];
  let i = 0;
  let j = 0;
  while (i < claimed.length || j < sorted.length) {
    if (j >= sorted.length || (i < claimed.length && claimed[i].from < sorted[j].from)) out.push(claimed[i++]);
    else out.push(sorted[j++]);
  }
  return out;
}

/** A range as nft writes it: a prefix when it is one, else first-last. */
function formatRange(family: 4 | 6, r: Range): string {
  const size = r.to - r.from + 1n;
  const bits = size.toString(2).length - 1;
  if (size === 1n << BigInt(bits) && r.from % size === 0n) {
    return bits === 0 ? formatIp(family, r.from) : `${formatIp(family, r.from)}/${BITS[family] - bits}`;
  }
  return `${formatIp(family, r.from)}-${formatIp(family, r.to)}`;
}

/**
 * Per owner, the parts of its (normalised) networks no earlier owner claims: a source in two groups belongs to the
 * first. The result never overlaps, as an nft interval map requires.
 */
export function claimRanges<T>(family: 4 | 6, owners: Array<{ owner: T; networks: string[] }>): Array<{ owner: T; ranges: string[] }> {
  let claimed: Range[] = [];
  return owners.map(({ owner, networks }) => {
    const mine: Range[] = [];
    for (const cidr of networks) {
      const n = parseNetwork(cidr);
      if (n.family !== family) continue;
      const range = { from: n.base, to: n.base + (1n << BigInt(BITS[family] - n.prefix)) - 1n };
      mine.push(...unclaimed(range, claimed));
    }
    claimed = insertSorted(claimed, mine);
    return { owner, ranges: mine.map((r) => formatRange(family, r)) };
  });
}

function parseRange(text: string): Range {
  const dash = text.indexOf('-');
  if (dash < 0) {
    const n = parseNetwork(text);
    return { from: n.base, to: n.base + (1n << BigInt(BITS[n.family] - n.prefix)) - 1n };
  }
  return { from: parseNetwork(text.slice(0, dash)).base, to: parseNetwork(text.slice(dash + 1)).base };
}

/** Who owns an address, from the (non-overlapping) ranges claimRanges gave out; binary search, for many lookups. */
export function rangeOwners<T>(family: 4 | 6, owners: Array<{ owner: T; ranges: string[] }>): (ip: string) => T | null {
  const index = owners
    .flatMap(({ owner, ranges }) => ranges.map((r) => ({ ...parseRange(r), owner })))
    .sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  return (ip) => {
    const parsed = parseIp(ip);
    if (!parsed || parsed.family !== family) return null;
    let lo = 0;
    let hi = index.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (index[mid].to < parsed.value) lo = mid + 1;
      else if (index[mid].from > parsed.value) hi = mid - 1;
      else return index[mid].owner;
    }
    return null;
  };
}

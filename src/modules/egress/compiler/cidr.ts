import { isIPv4, isIPv6 } from 'node:net';

/** A network as numbers: family, first address and prefix length. */
export interface Network {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

function ipv4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBigInt(ip: string): bigint {
  let text = ip;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4ToBigInt(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = text.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

/** The family and number of an address, or null when it is not one. */
export function parseIp(ip: string): { family: 4 | 6; value: bigint } | null {
  const text = ip.trim().replace(/%.*$/, '');
  if (isIPv4(text)) return { family: 4, value: ipv4ToBigInt(text) };
  if (isIPv6(text)) return { family: 6, value: ipv6ToBigInt(text) };
  return null;
}

/**
 * Parsed networks by text: a policy names the same networks in many rules and groups, and compiling 65,536 rules
 * parses each several times. Bounded (cleared when full) since names come from users; Networks are never mutated.
 */
const parsed = new Map<string, Network>();
const PARSED_MAX = 100_000;

/** "10.0.0.0/8", "10.0.0.1" (a host) or an IPv6 form; host bits are cleared. Throws on anything else. */
export function parseNetwork(cidr: string): Network {
  let network = parsed.get(cidr);
  if (!network) {
    if (parsed.size >= PARSED_MAX) parsed.clear();
    network = parseNetworkText(cidr);
    parsed.set(cidr, network);
  }
  return network;
}

function parseNetworkText(cidr: string): Network {
  const [addr, len, extra] = cidr.trim().split('/');
  const ip = parseIp(addr);
  if (!ip || extra !== undefined) throw new Error(`not an IP network: ${cidr}`);
  const bits = BITS[ip.family];
  const prefix = len === undefined ? bits : Number(len);
  if (!/^\d+$/.test(len ?? String(bits)) || prefix > bits) throw new Error(`not an IP network: ${cidr}`);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  return { family: ip.family, base: ip.value & ~hostMask, prefix };
}

export function formatIp(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups, as the canonical form does.
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

export function formatNetwork(n: Network): string {
  return n.prefix === BITS[n.family] ? formatIp(n.family, n.base) : `${formatIp(n.family, n.base)}/${n.prefix}`;
}

export function networkContains(n: Network, ip: { family: 4 | 6; value: bigint }): boolean {
  if (n.family !== ip.family) return false;
  const shift = BigInt(BITS[n.family] - n.prefix);
  return ip.value >> shift === n.base >> shift;
}

const covers = (outer: Network, inner: Network) =>
  outer.family === inner.family && outer.prefix <= inner.prefix && networkContains(outer, { family: inner.family, value: inner.base });

/**
 * Canonical, non-overlapping networks of one family, sorted: nft refuses overlapping intervals in a set, and a
 * network inside another one adds nothing.
 */
export function normalizeNetworks(cidrs: string[], family: 4 | 6): string[] {
  const cache = normalized[family];
  // Most lists hold one network: its text is the key as it is (no string built per call; 65,536 rules call this).
  const key = cidrs.length === 1 ? cidrs[0] : `${cidrs.length}|${cidrs.join(',')}`;
  let result = cache.get(key);
  if (!result) {
    if (cache.size >= PARSED_MAX) cache.clear();
    result = normalizeNetworksOnce(cidrs, family);
    cache.set(key, result);
  }
  return result;
}

/** Results by family and list, shared between callers: never mutated. */
const normalized = { 4: new Map<string, string[]>(), 6: new Map<string, string[]>() };

function normalizeNetworksOnce(cidrs: string[], family: 4 | 6): string[] {
  const nets = cidrs.map(parseNetwork).filter((n) => n.family === family);
  nets.sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : a.prefix - b.prefix));
  const kept: Network[] = [];
  for (const n of nets) if (!kept.length || !covers(kept[kept.length - 1], n)) kept.push(n);
  return kept.map(formatNetwork);
}

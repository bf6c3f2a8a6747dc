import { isIPv4, isIPv6 } from 'node:net';
import { errors } from '../../errors.js';

/** An overlay address with its prefix length, as both certificate encodings carry it. */
export interface Network {
  /** 4 bytes (IPv4) or 16 bytes (IPv6). */
  address: Uint8Array;
  bits: number;
}

export function parseNetwork(cidr: string): Network {
  const [host, bitsText, extra] = cidr.split('/');
  const bits = Number(bitsText);
  const address = isIPv4(host) ? ipv4Bytes(host) : isIPv6(host) && !host.includes('.') ? ipv6Bytes(host) : undefined;
  if (!address || extra !== undefined || !/^\d{1,3}$/.test(bitsText ?? '') || bits > address.length * 8) {
    throw errors.validation(`"${cidr}" is not a network in CIDR notation (address/prefix length, e.g. 10.42.0.5/24)`);
  }
  return { address, bits };
}

export function formatNetwork({ address, bits }: Network): string {
  return `${address.length === 4 ? address.join('.') : formatIpv6(address)}/${bits}`;
}

/** True when `inner` lies inside `outer`: same family, at least as long a prefix, and the same leading bits. */
export function networkContains(outer: Network, inner: Network): boolean {
  if (outer.address.length !== inner.address.length || inner.bits < outer.bits) return false;
  for (let bit = 0; bit < outer.bits; bit++) {
    const mask = 0x80 >> bit % 8;
    if ((outer.address[bit >> 3] & mask) !== (inner.address[bit >> 3] & mask)) return false;
  }
  return true;
}

/** Go's netip.Prefix order, which nebula sorts v2 networks by: IPv4 first, then address, then prefix length. */
export function compareNetworks(a: Network, b: Network): number {
  if (a.address.length !== b.address.length) return a.address.length - b.address.length;
  for (let i = 0; i < a.address.length; i++) {
    if (a.address[i] !== b.address[i]) return a.address[i] - b.address[i];
  }
  return a.bits - b.bits;
}

function ipv4Bytes(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

function ipv6Bytes(text: string): Uint8Array {
  const [head, tail] = text.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const [left, right] = [groups(head), groups(tail)];
  const all = tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  return Uint8Array.from(all.flatMap((g) => [g >> 8, g & 0xff]));
}

/** RFC 5952 text (lower case, longest run of two or more zero groups as ::), as Go prints it. */
function formatIpv6(bytes: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let [bestStart, bestLength] = [-1, 1];
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > bestLength) [bestStart, bestLength] = [start, length];
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

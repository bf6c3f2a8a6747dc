import { errors } from '../../../core/errors.js';

/** IPv4 arithmetic for the overlay range (access.overlay_cidr). */
export function parseCidr(cidr: string): { base: number; size: number } {
  const [addr, bits] = cidr.split('/');
  const octets = addr.split('.').map(Number);
  const prefix = Number(bits);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  return { base: (base & mask) >>> 0, size: 2 ** (32 - prefix) };
}

export function ipToString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function ipToNumber(ip: string): number {
  const o = ip.split('.').map(Number);
  return ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
}

/**
 * The lowest free host address of the range (never its network or broadcast address), given those taken. The
 * unique index on (tenant_id, overlay_ip) settles two enrollments racing for the same one.
 */
export function firstFreeAddress(cidr: string, taken: Iterable<string>): string {
  const { base, size } = parseCidr(cidr);
  const used = new Set<number>();
  for (const ip of taken) used.add(ipToNumber(ip));
  for (let offset = 1; offset < size - 1; offset++) {
    if (!used.has(base + offset)) return ipToString(base + offset);
  }
  throw errors.conflict(`the overlay range ${cidr} has no free address left`);
}

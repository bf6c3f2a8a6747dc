import { formatIp, parseIp, parseNetwork } from '../compiler/cidr.js';

/**
 * Address checks for policy fields, over the compiler's address arithmetic (compiler/cidr.ts): IPv4 and IPv6,
 * bare addresses and CIDRs. CIDRs may have host bits set (Neuwerk accepts "10.0.0.1/24"); policy.effective.ts masks them
 * to the network so the compiler gets clean prefixes.
 */
export interface Cidr {
  family: 4 | 6;
  /** The network address, host bits cleared, in canonical text form. */
  network: string;
  prefix: number;
}

/** Zone ids ("fe80::1%eth0") name an interface, not a destination; surrounding spaces are a typo, not an address. */
const plain = (value: string) => !value.includes('%') && value === value.trim();

export function isIpAddress(value: string): boolean {
  return plain(value) && parseIp(value) !== null;
}

/** Parses "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128); null when it is neither. */
export function parseCidr(value: string): Cidr | null {
  if (!plain(value)) return null;
  try {
    const network = parseNetwork(value);
    return { family: network.family, network: formatIp(network.family, network.base), prefix: network.prefix };
  } catch {
    return null;
  }
}

/** The CIDR text the compiler gets: network address and prefix length. */
export function formatCidr(cidr: Cidr): string {
  return `${cidr.network}/${cidr.prefix}`;
}

import { isIPv4 } from 'node:net';
import { errors } from '../../../core/errors.js';

/** An IPv4 overlay subnet as numbers. Nebula < 1.10 (v1 certificates) carries IPv4 only. */
export interface Subnet {
  cidr: string;
  network: number;
  broadcast: number;
  bits: number;
}

/** Smallest network with room for two hosts besides the network and broadcast addresses. */
const MAX_PREFIX = 30;
const MIN_PREFIX = 8;

export function ipToNumber(ip: string): number {
  const [a, b, c, d] = ip.split('.').map(Number);
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

/** Parses subnet_cidr; the address must be the network's own (10.42.0.0/24, not 10.42.0.5/24). */
export function parseSubnet(cidr: string): Subnet {
  const [address, bitsText, extra] = String(cidr).split('/');
  const bits = Number(bitsText);
  if (!isIPv4(address) || extra !== undefined || !/^\d{1,2}$/.test(bitsText ?? '')) {
    throw errors.validation(`subnet_cidr "${cidr}" is not an IPv4 network in CIDR notation, e.g. 10.42.0.0/24`);
  }
  if (bits < MIN_PREFIX || bits > MAX_PREFIX) {
    throw errors.validation(`subnet_cidr prefix length must be between /${MIN_PREFIX} and /${MAX_PREFIX}, got /${bits}`);
  }
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const value = ipToNumber(address);
  const network = (value & mask) >>> 0;
  if (network !== value) {
    throw errors.validation(`subnet_cidr "${cidr}" has host bits set; did you mean ${numberToIp(network)}/${bits}?`);
  }
  return { cidr: `${address}/${bits}`, network, broadcast: (network | ~mask) >>> 0, bits };
}

/** The address as a number when it is a usable host address of the subnet; a clear 400 otherwise. */
export function hostAddressIn(subnet: Subnet, ip: string): number {
  if (!isIPv4(ip)) throw errors.validation(`"${ip}" is not an IPv4 address`);
  const n = ipToNumber(ip);
  if (n < subnet.network || n > subnet.broadcast) throw errors.validation(`${ip} is not in the network's subnet ${subnet.cidr}`);
  if (n === subnet.network || n === subnet.broadcast) {
    throw errors.validation(`${ip} is the ${n === subnet.network ? 'network' : 'broadcast'} address of ${subnet.cidr}`);
  }
  return n;
}

/** The address with the subnet's prefix length, as a host certificate carries it: 10.42.0.5/24. */
export const hostCidr = (subnet: Subnet, ip: string) => `${ip}/${subnet.bits}`;

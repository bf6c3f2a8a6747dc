import { isIPv4 } from 'node:net';

interface V4Net {
  base: number;
  bits: number;
}

function parseV4(cidr: string): V4Net | null {
  const [ip, len = '32'] = cidr.split('/');
  const bits = Number(len);
  if (!isIPv4(ip) || !/^\d{1,2}$/.test(len) || bits > 32) return null;
  const value = ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  return { base: bits === 0 ? 0 : value - (value % 2 ** (32 - bits)), bits };
}

/** Whether `inner` (an IPv4 CIDR or address) lies wholly inside `outer`; other strings match only themselves. */
export function cidrWithin(inner: string, outer: string): boolean {
  const a = parseV4(inner);
  const b = parseV4(outer);
  if (!a || !b) return inner.toLowerCase() === outer.toLowerCase();
  if (a.bits < b.bits) return false;
  return a.base - (a.base % 2 ** (32 - b.bits)) === b.base;
}

/** Whether a CIDR (or FQDN) is well-formed enough to store: IPv4 CIDR or address, IPv6 with a prefix, or a host name. */
export function isDestination(value: string): boolean {
  if (parseV4(value)) return true;
  if (/^[0-9a-fA-F:]+(\/\d{1,3})?$/.test(value) && value.includes(':')) return true;
  return /^(\*\.)?([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}$/.test(value);
}

/** Normal forms of indicator values: what feeds, observations and silences are compared in. */

/** Lowercase, trimmed, without the final dot; '' when nothing is left. */
export const normalizeHostname = (value: string) => value.trim().replace(/\.+$/, '').toLowerCase();

/** A dotted-quad IPv4 address as an unsigned 32-bit number, or null. */
export function ipv4ToNumber(value: string): number | null {
  const parts = value.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
}

const numberToIpv4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** "a.b.c.d" or "a.b.c.d/len" (IPv4 only, as Neuwerk), canonical; null when it is neither. */
export function normalizeIpIndicator(value: string): string | null {
  const [address, prefixText, extra] = value.trim().split('/');
  const ip = ipv4ToNumber(address.trim());
  if (ip === null || extra !== undefined) return null;
  if (prefixText === undefined) return numberToIpv4(ip);
  if (!/^\d{1,2}$/.test(prefixText.trim()) || Number(prefixText) > 32) return null;
  return `${numberToIpv4(ip)}/${Number(prefixText)}`;
}

/** The host of a URL as an indicator: an IPv4 address or a hostname; null for IPv6 literals and non-URLs. */
export function urlHostIndicator(url: string): { indicator_type: 'hostname' | 'ip'; indicator: string } | null {
  let host: string;
  try {
    host = new URL(url.trim()).hostname;
  } catch {
    return null;
  }
  if (!host || host.startsWith('[')) return null;
  const ip = normalizeIpIndicator(host);
  if (ip) return { indicator_type: 'ip', indicator: ip };
  const name = normalizeHostname(host);
  return name ? { indicator_type: 'hostname', indicator: name } : null;
}

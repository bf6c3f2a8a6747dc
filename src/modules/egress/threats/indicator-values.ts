/** Normal forms of indicator values: what feeds, observations and silences are compared in. */

/** Lowercase, trimmed, without the final dot; '' when nothing is left. Called per DNS query: no regex. */
export function normalizeHostname(value: string): string {
  let name = value.trim();
  let end = name.length;
  while (end > 0 && name.charCodeAt(end - 1) === 46 /* . */) end--;
  if (end !== name.length) name = name.slice(0, end);
  return name.toLowerCase();
}

/** A dotted-quad IPv4 address as an unsigned 32-bit number, or null. Called per flow: no split, no regex. */
export function ipv4ToNumber(value: string): number | null {
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return null;
    } else if (c === 46 && digits > 0 && dots < 3) {
      n = n * 256 + octet;
      octet = digits = 0;
      dots++;
    } else return null;
  }
  return dots === 3 && digits > 0 ? n * 256 + octet : null;
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

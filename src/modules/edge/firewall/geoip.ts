/**
 * The country database behind geo-IP rules and lookups: an imported CSV (edge.geoip_csv) of "network,country"
 * lines (GeoLite2-Country-Blocks joined with its locations gives this shape; a header line and comments are
 * skipped). Networks keep their prefixes (AiFw loses them). Lookup is longest-prefix over the loaded networks.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export interface GeoDb {
  networks(country: string): string[];
  lookup(ip: string): { country: string | null; network: string | null };
}

function toBig(addr: string): bigint {
  if (isIP(addr) === 4) return addr.split('.').reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n);
  const [head, tail = ''] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = addr.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

export function createGeoDb(path: string): GeoDb {
  const byCountry = new Map<string, string[]>();
  const entries: Array<{ family: 4 | 6; base: bigint; prefix: number; network: string; country: string }> = [];
  if (path) {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const [network, country] = line.split(',').map((s) => s?.trim());
      if (!network || !country || network.startsWith('#') || !/^[A-Za-z]{2}$/.test(country)) continue;
      const [addr, p] = network.split('/');
      const family = isIP(addr);
      if (!family) continue;
      const prefix = p === undefined ? (family === 4 ? 32 : 128) : Number(p);
      const cc = country.toUpperCase();
      const list = byCountry.get(cc) ?? [];
      list.push(network);
      byCountry.set(cc, list);
      entries.push({ family: family as 4 | 6, base: toBig(addr), prefix, network, country: cc });
    }
  }
  return {
    networks: (country) => byCountry.get(country.toUpperCase()) ?? [],
    lookup(ip) {
      const family = isIP(ip);
      const value = toBig(ip);
      const bits = family === 4 ? 32 : 128;
      let best: (typeof entries)[number] | null = null;
      for (const e of entries) {
        if (e.family !== family || (best && best.prefix >= e.prefix)) continue;
        const shift = BigInt(bits - e.prefix);
        if (value >> shift === e.base >> shift) best = e;
      }
      return best ? { country: best.country, network: best.network } : { country: null, network: null };
    },
  };
}

/**
 * The diagnostic DNS cache (GET /api/v1/dns-cache) and the reverse map the wiretap names flows with: which
 * addresses the proxy handed out for which names. Not an answer cache: the proxy never answers from it.
 * Bounded both ways, least recently seen first out, so a client resolving endless random names cannot grow it.
 */
export interface DnsCacheEntry {
  hostname: string;
  ips: string[];
  /** Unix seconds of the latest answer. */
  last_seen: number;
}

export interface DnsCache {
  remember(hostname: string, ips: string[], at: number): void;
  /** The name an address was last handed out for, or null. */
  hostnameOf(ip: string): string | null;
  /** Every name, sorted by hostname. */
  entries(): DnsCacheEntry[];
}

export interface DnsCacheLimits {
  maxHostnames?: number;
  maxAddresses?: number;
}

export function createDnsCache(limits: DnsCacheLimits = {}): DnsCache {
  const maxHostnames = limits.maxHostnames ?? 10_000;
  const maxAddresses = limits.maxAddresses ?? 50_000;
  // Map iteration order is insertion order: delete + set moves a key to the back, so the front is the oldest.
  const byName = new Map<string, { ips: string[]; last_seen: number }>();
  const byIp = new Map<string, string>();

  const touch = <K, V>(map: Map<K, V>, key: K, value: V, max: number) => {
    map.delete(key);
    map.set(key, value);
    while (map.size > max) map.delete(map.keys().next().value as K);
  };

  return {
    remember(hostname, ips, at) {
      const name = hostname.toLowerCase().replace(/\.$/, '');
      if (!name || ips.length === 0) return;
      touch(byName, name, { ips: [...new Set(ips)], last_seen: at }, maxHostnames);
      for (const ip of ips) touch(byIp, ip, name, maxAddresses);
    },
    hostnameOf(ip) {
      return byIp.get(ip) ?? null;
    },
    entries() {
      return [...byName.entries()]
        .map(([hostname, e]) => ({ hostname, ips: [...e.ips], last_seen: e.last_seen }))
        .sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
    },
  };
}

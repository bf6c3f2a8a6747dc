import { ipv4ToNumber, normalizeHostname } from './indicator-values.js';
import { severityRank, type FeedHit, type Indicator, type IndicatorType, type ThreatSeverity } from './threat.types.js';

export interface ThreatMatch {
  indicator: string;
  indicator_type: IndicatorType;
  severity: ThreatSeverity;
  confidence?: number;
  feed_hits: FeedHit[];
}

export interface IndicatorMatcher {
  readonly size: number;
  matchHostname(hostname: string): ThreatMatch | null;
  matchIp(ip: string): ThreatMatch | null;
}

/**
 * Indicators indexed for the DNS hot path: hostnames and addresses in hash maps (exact, as Neuwerk matches
 * hostnames), networks in one map per prefix length, so a lookup costs at most 33 map probes whatever the
 * feed size.
 */
export function createIndicatorMatcher(indicators: Iterable<Indicator>): IndicatorMatcher {
  const hostnames = new Map<string, Indicator[]>();
  const addresses = new Map<number, Indicator[]>();
  const networks = new Map<number, Map<number, Indicator[]>>();
  let size = 0;
  const add = <K>(map: Map<K, Indicator[]>, key: K, item: Indicator) => {
    const list = map.get(key);
    if (list) list.push(item);
    else map.set(key, [item]);
    size++;
  };

  for (const item of indicators) {
    if (item.indicator_type === 'hostname') {
      add(hostnames, normalizeHostname(item.indicator), item);
      continue;
    }
    const [address, prefixText] = item.indicator.split('/');
    const ip = ipv4ToNumber(address);
    if (ip === null) continue;
    if (prefixText === undefined || prefixText === '32') add(addresses, ip, item);
    else {
      const prefix = Number(prefixText);
      let byNetwork = networks.get(prefix);
      if (!byNetwork) networks.set(prefix, (byNetwork = new Map()));
      add(byNetwork, networkOf(ip, prefix), item);
    }
  }
  const byPrefix = [...networks.entries()].sort(([a], [b]) => b - a);

  return {
    size,
    matchHostname(hostname) {
      const name = normalizeHostname(hostname);
      const hits = hostnames.get(name);
      return hits ? build(name, 'hostname', hits) : null;
    },
    matchIp(text) {
      const ip = ipv4ToNumber(text);
      if (ip === null) return null;
      let hits = addresses.get(ip);
      for (const [prefix, byNetwork] of byPrefix) {
        const inNetwork = byNetwork.get(networkOf(ip, prefix));
        if (inNetwork) hits = hits ? [...hits, ...inNetwork] : inNetwork;
      }
      return hits ? build(text, 'ip', hits) : null;
    },
  };
}

const networkOf = (ip: number, prefix: number) => (prefix === 0 ? 0 : (ip & (~0 << (32 - prefix))) >>> 0);

/** One hit per feed (the strongest), strongest feed first; the match takes the highest severity and confidence. */
function build(indicator: string, indicator_type: IndicatorType, items: Indicator[]): ThreatMatch {
  const byFeed = new Map<string, FeedHit>();
  for (const item of items) {
    const hit = byFeed.get(item.feed);
    if (!hit) {
      byFeed.set(item.feed, {
        feed: item.feed,
        severity: item.severity,
        ...(item.confidence !== null ? { confidence: item.confidence } : {}),
        ...(item.reference_url ? { reference_url: item.reference_url } : {}),
        tags: [...item.tags],
      });
      continue;
    }
    if (severityRank(item.severity) > severityRank(hit.severity)) hit.severity = item.severity;
    if (item.confidence !== null && item.confidence > (hit.confidence ?? -1)) hit.confidence = item.confidence;
    hit.reference_url ??= item.reference_url ?? undefined;
    hit.tags = [...new Set([...hit.tags, ...item.tags])].sort();
  }
  const feed_hits = [...byFeed.values()].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.feed.localeCompare(b.feed));
  const confidences = feed_hits.flatMap((h) => (h.confidence === undefined ? [] : [h.confidence]));
  return {
    indicator,
    indicator_type,
    severity: feed_hits[0].severity,
    ...(confidences.length ? { confidence: Math.max(...confidences) } : {}),
    feed_hits,
  };
}

/**
 * The payload formats of Neuwerk's three baseline feeds, parsed into normalized indicators:
 * - threatfox: ThreatFox's JSON export ({"<id>": [entry]}), its API shape ({"data": [entry]}) or a bare array;
 * - urlhaus: URLhaus's plain-text URL list, its CSV export (quoted fields, header optional) or its JSON;
 * - spamhaus_drop: Spamhaus DROP as text ("CIDR ; SBL id") or as JSON lines ({"cidr", "sblid", "rir"}).
 * Entries that name nothing usable (IPv6, garbage) are skipped; a payload that is not the format at all throws
 * (the refresher records the message as the feed's last error).
 */
import { normalizeHostname, normalizeIpIndicator, urlHostIndicator } from './indicator-values.js';
import type { FeedName, Indicator, IndicatorType, ThreatSeverity } from './threat.types.js';

type Candidate = Omit<Indicator, 'feed'>;

export function parseFeed(feed: FeedName, payload: string): Indicator[] {
  const candidates = feed === 'threatfox' ? parseThreatFox(payload) : feed === 'urlhaus' ? parseUrlhaus(payload) : parseSpamhausDrop(payload);
  const seen = new Set<string>();
  const out: Indicator[] = [];
  for (const c of candidates) {
    const key = `${c.indicator_type}|${c.indicator}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...c, feed, tags: normalizeTags(c.tags) });
  }
  return out;
}

const normalizeTags = (tags: string[]) => [...new Set(tags.map((t) => t.trim().toLowerCase()).filter(Boolean))].sort();

function indicatorOf(type: IndicatorType, value: string): { indicator_type: IndicatorType; indicator: string } | null {
  const indicator = type === 'ip' ? normalizeIpIndicator(value) : normalizeHostname(value);
  return indicator ? { indicator_type: type, indicator } : null;
}

function parseJson(payload: string, feed: string): unknown {
  try {
    return JSON.parse(payload);
  } catch (err) {
    throw new Error(`parse ${feed} payload: ${(err as Error).message}`);
  }
}

// --- ThreatFox -------------------------------------------------------------------------------------------------

interface ThreatFoxEntry {
  ioc?: unknown;
  ioc_value?: unknown;
  ioc_type?: unknown;
  threat_type?: unknown;
  malware?: unknown;
  malware_printable?: unknown;
  confidence_level?: unknown;
  reference?: unknown;
  tags?: unknown;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

function parseThreatFox(payload: string): Candidate[] {
  const root = parseJson(payload, 'threatfox');
  const entries: ThreatFoxEntry[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') entries.push(value as ThreatFoxEntry);
  };
  if (Array.isArray(root)) collect(root);
  else if (root && typeof root === 'object') {
    const object = root as Record<string, unknown>;
    // The API wraps entries in "data" (beside "query_status"); the export keys arrays of entries by id.
    if ('data' in object) collect(object.data);
    else Object.values(object).forEach((v) => Array.isArray(v) && collect(v));
  } else throw new Error('parse threatfox payload: expected a JSON object or array');
  return entries.flatMap((entry) => {
    const target = threatFoxIndicator(str(entry.ioc_type).trim().toLowerCase(), str(entry.ioc ?? entry.ioc_value));
    if (!target) return [];
    const confidence = confidenceOf(entry.confidence_level);
    const tags = typeof entry.tags === 'string' ? entry.tags.split(',') : Array.isArray(entry.tags) ? entry.tags.filter((t): t is string => typeof t === 'string') : [];
    tags.push(str(entry.threat_type), str(entry.malware_printable) || str(entry.malware));
    return [{ ...target, severity: severityOf(confidence), confidence, tags, reference_url: str(entry.reference).trim() || null }];
  });
}

function threatFoxIndicator(type: string, ioc: string) {
  if (!ioc) return null;
  if (type === 'domain' || type === 'hostname' || type === 'fqdn') return indicatorOf('hostname', ioc);
  if (type === 'ip' || type === 'netblock' || type === 'cidr') return indicatorOf('ip', ioc);
  if (type === 'url' || type === 'uri') return urlHostIndicator(ioc);
  if (type === 'ip:port') return indicatorOf('ip', ioc.split(':')[0]);
  return urlHostIndicator(ioc) ?? indicatorOf('ip', ioc) ?? (ioc.includes('.') ? indicatorOf('hostname', ioc) : null);
}

function confidenceOf(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 255 ? Math.min(100, n) : null;
}

/** ThreatFox's confidence level mapped to a severity, as Neuwerk maps it (no level counts as 50). */
function severityOf(confidence: number | null): ThreatSeverity {
  const c = confidence ?? 50;
  return c < 40 ? 'low' : c < 70 ? 'medium' : c < 90 ? 'high' : 'critical';
}

// --- URLhaus ---------------------------------------------------------------------------------------------------

const URLHAUS = { severity: 'high' as const, confidence: 80 };

function parseUrlhaus(payload: string): Candidate[] {
  const start = payload.trimStart()[0];
  if (start === '{' || start === '[') return parseUrlhausJson(payload);
  const firstLine = payload.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#'));
  return firstLine?.includes(',') ? parseUrlhausCsv(payload) : parseUrlhausText(payload);
}

function urlhausItem(url: string, threat: string, reference: string): Candidate[] {
  const target = urlHostIndicator(url);
  return target ? [{ ...target, ...URLHAUS, tags: threat ? [threat] : [], reference_url: reference.trim() || null }] : [];
}

function parseUrlhausJson(payload: string): Candidate[] {
  const root = parseJson(payload, 'urlhaus');
  const object = root as Record<string, unknown>;
  const items = Array.isArray(root) ? root : Array.isArray(object?.data) ? object.data : Array.isArray(object?.urls) ? object.urls : [];
  return (items as Record<string, unknown>[]).flatMap((item) =>
    item && typeof item === 'object' ? urlhausItem(str(item.url), str(item.threat), str(item.urlhaus_reference ?? item.reference)) : [],
  );
}

function parseUrlhausText(payload: string): Candidate[] {
  return payload.split('\n').flatMap((line) => {
    const url = line.trim();
    return url && !url.startsWith('#') ? urlhausItem(url, '', '') : [];
  });
}

function parseUrlhausCsv(payload: string): Candidate[] {
  let header: string[] | null = null;
  const out: Candidate[] = [];
  for (const line of payload.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const fields = csvRecord(trimmed);
    if (!fields) continue; // a malformed row is skipped, not the whole feed
    if (!header && fields.some((f) => f.toLowerCase() === 'url')) {
      header = fields.map((f) => f.toLowerCase());
      continue;
    }
    const field = (name: string, fallback: number) => fields[header?.includes(name) ? header.indexOf(name) : fallback] ?? '';
    out.push(...urlhausItem(field('url', 0), field('threat', 2), field('urlhaus_reference', 3) || field('reference', 3)));
  }
  return out;
}

/** One CSV record (double quotes, "" inside quotes); null when a quote is left open. */
function csvRecord(line: string): string[] | null {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') {
      if (quoted && line[i + 1] === '"') {
        current += '"';
        i++;
      } else quoted = !quoted;
    } else if (ch === ',' && !quoted) {
      fields.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (quoted) return null;
  fields.push(current.trim());
  return fields;
}

// --- Spamhaus DROP ---------------------------------------------------------------------------------------------

const DROP = { severity: 'critical' as const, confidence: 100, reference_url: null };

function parseSpamhausDrop(payload: string): Candidate[] {
  const out: Candidate[] = [];
  for (const line of payload.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith(';') || trimmed.startsWith('#')) continue;
    if (trimmed.startsWith('{')) {
      const entry = parseJson(trimmed, 'spamhaus drop') as Record<string, unknown>;
      // The JSON export ends with a metadata object that has no cidr.
      const target = typeof entry?.cidr === 'string' ? indicatorOf('ip', entry.cidr) : null;
      if (target) out.push({ ...target, ...DROP, tags: [str(entry.sblid), str(entry.rir)] });
      continue;
    }
    const [cidr, description = ''] = trimmed.split(/;(.*)/s);
    const target = indicatorOf('ip', cidr);
    if (target) out.push({ ...target, ...DROP, tags: [description] });
  }
  return out;
}

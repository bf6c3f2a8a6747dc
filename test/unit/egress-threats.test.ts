import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseFeed } from '../../src/modules/egress/threats/feed-parsers.js';
import { createIndicatorMatcher } from '../../src/modules/egress/threats/indicator-matcher.js';
import { createSilenceMatcher, normalizeSilence } from '../../src/modules/egress/threats/silence-matcher.js';
import { createThreatFindingsStore } from '../../src/modules/egress/threats/threat-findings.store.js';
import type { Indicator, Observation } from '../../src/modules/egress/threats/threat.types.js';

const brief = (items: Indicator[]) => items.map((i) => `${i.indicator_type}:${i.indicator}:${i.severity}`).sort();

describe('threat feed parsers', () => {
  test('ThreatFox: the export shape, the API shape, URL and ip:port iocs, severity from confidence', () => {
    const exported = JSON.stringify({
      '1773104': [{ ioc_value: 'http://178.16.52.201/x.bin', ioc_type: 'url', confidence_level: 90, threat_type: 'payload_delivery', malware_printable: 'Cobalt Strike', tags: 'ClickFix', reference: 'https://ref.example/1' }],
      '1773105': [{ ioc_value: 'Bad.Example.com.', ioc_type: 'domain', confidence_level: '75' }],
    });
    const items = parseFeed('threatfox', exported);
    assert.deepEqual(brief(items), ['hostname:bad.example.com:high', 'ip:178.16.52.201:critical']);
    const ip = items.find((i) => i.indicator_type === 'ip')!;
    assert.deepEqual(ip.tags, ['clickfix', 'cobalt strike', 'payload_delivery']);
    assert.equal(ip.reference_url, 'https://ref.example/1');
    assert.equal(ip.feed, 'threatfox');

    const api = JSON.stringify({ query_status: 'ok', data: [{ ioc: '198.51.100.7:443', ioc_type: 'ip:port' }, { ioc: 'c2.example.net', ioc_type: 'domain', confidence_level: 20 }] });
    assert.deepEqual(brief(parseFeed('threatfox', api)), ['hostname:c2.example.net:low', 'ip:198.51.100.7:medium']);
    assert.throws(() => parseFeed('threatfox', '{not json'), /parse threatfox payload/);
  });

  test('URLhaus: plain text, CSV with quoted commas (a broken row skipped), and JSON; IPv6 literals skipped', () => {
    const text = '# URLhaus\nhttps://Bad.Example.com/dropper\nhttps://[2001:db8::1]/x\nhttp://203.0.113.9/a\n';
    assert.deepEqual(brief(parseFeed('urlhaus', text)), ['hostname:bad.example.com:high', 'ip:203.0.113.9:high']);
    const csv = 'url,dateadded,threat,urlhaus_reference\n"https://bad.example.com/p?tag=a,b",2025-03-13 10:20:00 UTC,malware_download,https://urlhaus.abuse.ch/url/1/\n"https://broken.example.com,x\nhttps://good.example.com/p,2025-03-13,malware_download,https://urlhaus.abuse.ch/url/2/\n';
    const items = parseFeed('urlhaus', csv);
    assert.deepEqual(brief(items), ['hostname:bad.example.com:high', 'hostname:good.example.com:high']);
    assert.equal(items.find((i) => i.indicator === 'bad.example.com')!.reference_url, 'https://urlhaus.abuse.ch/url/1/');
    const json = JSON.stringify({ urls: [{ url: 'https://json.example.org/x', threat: 'malware_download' }] });
    assert.deepEqual(brief(parseFeed('urlhaus', json)), ['hostname:json.example.org:high']);
  });

  test('Spamhaus DROP: text with comments and JSON lines (the metadata line ignored); invalid networks skipped', () => {
    const text = '; Spamhaus DROP\n# comment\n203.0.113.0/24 ; SBL123\n300.1.1.0/24 ; bad\n';
    const items = parseFeed('spamhaus_drop', text);
    assert.deepEqual(brief(items), ['ip:203.0.113.0/24:critical']);
    assert.deepEqual(items[0].tags, ['sbl123']);
    const jsonl = '{"cidr":"198.51.100.0/24","sblid":"SBL1","rir":"arin"}\n{"type":"metadata","timestamp":1}\n';
    assert.deepEqual(brief(parseFeed('spamhaus_drop', jsonl)), ['ip:198.51.100.0/24:critical']);
  });
});

describe('indicator matcher', () => {
  const indicators = [
    ...parseFeed('threatfox', JSON.stringify({ data: [{ ioc: 'bad.example.com', ioc_type: 'domain', confidence_level: 95 }, { ioc: '198.51.100.44', ioc_type: 'ip' }] })),
    ...parseFeed('urlhaus', 'https://bad.example.com/x\n'),
    ...parseFeed('spamhaus_drop', '203.0.113.0/24 ; SBL1\n10.0.0.0/8 ; SBL2\n'),
  ];
  const matcher = createIndicatorMatcher(indicators);

  test('hostnames match exactly, whatever the case or final dot; subdomains and parents do not', () => {
    const hit = matcher.matchHostname('BAD.example.COM.')!;
    assert.equal(hit.indicator, 'bad.example.com');
    assert.equal(hit.severity, 'critical');
    assert.equal(hit.confidence, 95);
    assert.deepEqual(hit.feed_hits.map((h) => h.feed), ['threatfox', 'urlhaus']);
    assert.equal(matcher.matchHostname('www.bad.example.com'), null);
    assert.equal(matcher.matchHostname('example.com'), null);
  });

  test('addresses match exact entries and every listed network that holds them', () => {
    assert.equal(matcher.matchIp('198.51.100.44')!.feed_hits[0].feed, 'threatfox');
    assert.equal(matcher.matchIp('203.0.113.250')!.feed_hits[0].feed, 'spamhaus_drop');
    assert.ok(matcher.matchIp('10.200.1.1'));
    assert.equal(matcher.matchIp('203.0.114.1'), null);
    assert.equal(matcher.matchIp('not-an-ip'), null);
    assert.equal(matcher.matchIp('2001:db8::1'), null);
    for (const bad of ['203.0.113', '203.0.113.1.5', '203.0..1', '203.0.113.256', '203.0.113.1000', ' 203.0.113.1', '']) assert.equal(matcher.matchIp(bad), null, bad);
  });
});

describe('silences', () => {
  test('are normalized as Neuwerk stores them, and a bad one is refused', () => {
    assert.deepEqual(normalizeSilence({ kind: 'exact', indicator_type: 'hostname', value: ' Bad.Example.com. ', reason: '  ' }), { kind: 'exact', indicator_type: 'hostname', value: 'bad.example.com', reason: null });
    assert.deepEqual(normalizeSilence({ kind: 'hostname_regex', indicator_type: 'hostname', value: ' ^.*\\.example\\.com$ ', reason: 'lab' }), { kind: 'hostname_regex', indicator_type: null, value: '^.*\\.example\\.com$', reason: 'lab' });
    assert.throws(() => normalizeSilence({ kind: 'exact', value: 'bad.example.com' }), /requires indicator_type/);
    assert.throws(() => normalizeSilence({ kind: 'exact', indicator_type: 'ip', value: '203.0.113.0/24' }), /invalid ipv4 silence value/);
    assert.throws(() => normalizeSilence({ kind: 'hostname_regex', indicator_type: 'ip', value: '.*' }), /cannot target ip/);
    assert.throws(() => normalizeSilence({ kind: 'hostname_regex', value: '[unclosed' }), /invalid hostname regex/);
  });

  test('exact silences match their indicator type only; regexes match hostnames only', () => {
    const m = createSilenceMatcher([
      { kind: 'exact', indicator_type: 'hostname', value: 'bad.example.com' },
      { kind: 'exact', indicator_type: 'ip', value: '203.0.113.10' },
      { kind: 'hostname_regex', indicator_type: null, value: '^.*\\.lab\\.example$' },
    ]);
    assert.ok(m.matches('hostname', 'Bad.Example.com.'));
    assert.ok(m.matches('ip', '203.0.113.10'));
    assert.ok(m.matches('hostname', 'x.lab.example'));
    assert.equal(m.matches('hostname', '203.0.113.10'), false);
    assert.equal(m.matches('ip', 'bad.example.com'), false);
    assert.equal(m.matches('hostname', 'other.example.com'), false);
  });
});

describe('threat findings store', () => {
  const match = createIndicatorMatcher(parseFeed('threatfox', JSON.stringify({ data: [{ ioc: 'bad.example.com', ioc_type: 'domain', confidence_level: 75 }] })))
    .matchHostname('bad.example.com')!;
  const seen = (at: number, over: Partial<Observation> = {}): Observation => ({
    indicator: 'bad.example.com', indicator_type: 'hostname', observation_layer: 'dns', source_group: 'clients', node_id: 'gw-1', at, ...over,
  });

  test('de-duplicates by indicator, layer and source group, counting with first and last seen and node ids', () => {
    const store = createThreatFindingsStore(100);
    store.record(seen(100), match);
    store.record(seen(160, { node_id: 'gw-2' }), match);
    store.record(seen(130, { observation_layer: 'l4' }), match);
    const [dns, l4] = [store.query({ limit: 10, observation_layer: ['dns'] }), store.query({ limit: 10, observation_layer: ['l4'] })];
    assert.equal(dns.length, 1);
    assert.deepEqual({ count: dns[0].count, first: dns[0].first_seen, last: dns[0].last_seen, nodes: dns[0].sample_node_ids }, { count: 2, first: 100, last: 160, nodes: ['gw-1', 'gw-2'] });
    assert.equal(dns[0].alertable, true, 'high is at the default threshold');
    assert.equal(l4[0].count, 1);
    assert.deepEqual(store.query({ limit: 10 }).map((f) => f.observation_layer), ['dns', 'l4'], 'newest last_seen first');
    assert.equal(store.query({ limit: 1 }).length, 1);
    assert.equal(store.query({ limit: 10, feed: ['urlhaus'] }).length, 0);
    assert.equal(store.query({ limit: 10, since: 161 }).length, 0);

    store.setAlertThreshold('critical');
    assert.equal(store.query({ limit: 10, alertable_only: true }).length, 0);
  });

  test('keeps at most max findings, evicting the one seen longest ago', () => {
    const store = createThreatFindingsStore(2);
    store.record(seen(1, { source_group: 'a' }), match);
    store.record(seen(2, { source_group: 'b' }), match);
    store.record(seen(3, { source_group: 'a' }), match);
    store.record(seen(4, { source_group: 'c' }), match);
    assert.deepEqual(store.query({ limit: 10 }).map((f) => f.source_group), ['c', 'a']);
  });
});

/**
 * Threat-intel matching on the DNS hot path: what the proxy adds per query (one name normalized and looked up
 * among 100,000 listed hostnames) and per forwarded flow (one address looked up among 10,000 listed addresses
 * and 2,000 networks), in process, beside the floor: a plain Set.has of the already-normalized name.
 * Rounds alternate in ABBA order so drift weighs on both alike.
 */
import { createIndicatorMatcher } from '../src/modules/egress/threats/indicator-matcher.js';
import type { Indicator } from '../src/modules/egress/threats/threat.types.js';
import type { Bench, BenchContext, BenchmarkResult, RateResult } from './lib/types.js';

const HOSTNAMES = 100_000;
const ADDRESSES = 10_000;
const NETWORKS = 2_000;
const LOOKUPS = 2_000_000;
/** One query in 100 names a listed host, one flow in 100 goes to a listed network: real traffic mostly misses. */
const HIT_EVERY = 100;

const indicator = (indicator_type: Indicator['indicator_type'], value: string): Indicator => ({
  indicator: value, indicator_type, feed: indicator_type === 'hostname' ? 'threatfox' : 'spamhaus_drop', severity: 'high', confidence: 80, tags: [], reference_url: null,
});
const octets = (n: number) => `${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

export const bench: Bench = async (ctx) => [await ctx.scoped(async (scope) => matchingPair(scope))];

function matchingPair(ctx: BenchContext): BenchmarkResult {
  const listed = Array.from({ length: HOSTNAMES }, (_, i) => `c2-${i}.bad${i % 97}.example`);
  const matcher = createIndicatorMatcher([
    ...listed.map((h) => indicator('hostname', h)),
    ...Array.from({ length: ADDRESSES }, (_, i) => indicator('ip', `100.${octets(i * 7)}`)),
    ...Array.from({ length: NETWORKS }, (_, i) => indicator('ip', `${20 + (i % 50)}.${i % 250}.0.0/${16 + (i % 9)}`)),
  ]);
  const floor = new Set(listed);
  const queries = Array.from({ length: 4096 }, (_, i) => (i % HIT_EVERY === 0 ? listed[i * 13] : `host-${i}.cdn${i % 31}.example.org.`));
  const addresses = Array.from({ length: 4096 }, (_, i) => (i % HIT_EVERY === 50 ? `${20 + (i % 50)}.${i % 250}.1.1` : `${150 + (i % 100)}.${i % 250}.${(i * 3) % 250}.${i % 200}`));

  const sides = {
    rampart: { what: 'indicator matcher: name per query + address per flow', operations: 0, seconds: 0, hits: 0, run(n: number) {
      for (let i = 0; i < n; i++) if (matcher.matchHostname(queries[i & 4095]) || matcher.matchIp(addresses[i & 4095])) this.hits++;
    } },
    baseline: { what: 'Set.has of the normalized name (the floor)', operations: 0, seconds: 0, hits: 0, run(n: number) {
      for (let i = 0; i < n; i++) if (floor.has(queries[i & 4095])) this.hits++;
    } },
  };
  sides.rampart.run(100_000); // warm up the JIT
  sides.baseline.run(100_000);
  const rounds = ctx.settings.rounds;
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? [sides.baseline, sides.rampart] : [sides.rampart, sides.baseline]) {
      const count = LOOKUPS / rounds;
      const started = process.hrtime.bigint();
      side.run(count);
      side.seconds += Number(process.hrtime.bigint() - started) / 1e9;
      side.operations += count;
    }
  }
  const rate = (s: { what: string; operations: number; seconds: number }): RateResult => ({ what: s.what, operations: s.operations, measured_s: Math.round(s.seconds * 1000) / 1000, per_s: Math.round(s.operations / s.seconds) });
  const [rampart, baseline] = [rate(sides.rampart), rate(sides.baseline)];
  const ratio = Math.round((rampart.per_s / baseline.per_s) * 100) / 100;
  const nsPerLookup = Math.round(1e9 / rampart.per_s);
  ctx.log(`  => matcher ${rampart.per_s} lookups/s (${nsPerLookup} ns each) vs Set.has ${baseline.per_s}/s: ratio ${ratio}`);
  return {
    name: 'egress threat-intel matching per DNS query and flow (100k hostnames, 10k addresses, 2k networks)',
    unit: 'lookups/s',
    rampart: { ...rampart, ns_per_lookup: nsPerLookup, indicators: matcher.size },
    baseline,
    ratio,
  };
}

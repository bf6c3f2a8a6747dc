import { monitorEventLoopDelay } from 'node:perf_hooks';
import autocannon, { type RawResult, type Request } from 'autocannon';
import type { BenchContext, TargetResult } from './types.js';
import { cpuSeconds } from './processes.js';
import { scrape, serverSide, type Scrape } from './server-metrics.js';

export interface Target {
  /** What serves, for the report: "rampart", "bare node:http", ... */
  server: string;
  url: string;
  /** The server process, for its CPU use. */
  pid: number;
  /** Its Prometheus /metrics, scraped around each measured slice for what the server itself saw. */
  metricsUrl?: string;
}

export interface RequestShape {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** A sequence (or one request whose setupRequest picks what to send) instead of one fixed request. */
  requests?: Request[];
  /** Requests of each target's own (ids seeded in its database), instead of `requests`. */
  requestsFor?: (target: Target) => Request[];
  /** Connections for this load, when it is not BENCH_CONNECTIONS. */
  connections?: number;
}

interface Slice {
  raw: RawResult;
  serverCpuS: number | null;
  loadgenCpuS: number;
  /** The load generator's own event-loop delay: large, and its latencies include its own waiting. */
  loadgenDelayMaxMs: number;
  connections: ConnectionSplit;
  scrapes?: { before: Scrape; after: Scrape };
}

/**
 * Client-side latency of each connection's first answer (which includes opening the connection and waiting for the
 * server to accept it) apart from the answers on connections already open.
 */
interface ConnectionSplit {
  /** Every latency (ms) of each side, for its percentiles. */
  first: number[];
  later: number[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Loads baseline and rampart alike: each warms up, then the measured time is cut into rounds run in ABBA order
 * (baseline, rampart, rampart, baseline, ...) so drift during the run weighs on both the same.
 */
export async function comparePair(
  ctx: BenchContext,
  targets: { baseline: Target; rampart: Target },
  request: RequestShape = {},
): Promise<{ baseline: TargetResult; rampart: TargetResult; ratio: number; cpu_ratio: number | null }> {
  const { settings } = ctx;
  const pair = [targets.baseline, targets.rampart];
  for (const t of settings.warmupS > 0 ? pair : []) {
    ctx.log(`  warm-up ${t.server} ${settings.warmupS}s`);
    await load(t, settings.warmupS, request, settings);
  }
  const slices = new Map<Target, Slice[]>(pair.map((t) => [t, []]));
  const sliceS = settings.durationS / settings.rounds;
  for (let round = 0; round < settings.rounds; round++) {
    for (const t of round % 2 === 0 ? pair : [...pair].reverse()) {
      const slice = await measure(t, sliceS, request, settings);
      slices.get(t)!.push(slice);
      ctx.log(`  round ${round + 1}/${settings.rounds} ${t.server}: ${Math.round(slice.raw.totalCompletedRequests / slice.raw.duration)} req/s`);
    }
  }
  const connections = request.connections ?? settings.connections;
  const baseline = summarise(targets.baseline, slices.get(targets.baseline)!, connections);
  const rampart = summarise(targets.rampart, slices.get(targets.rampart)!, connections);
  const ratio = Math.round((rampart.requests_per_s / baseline.requests_per_s) * 1000) / 1000;
  const [b, r] = [baseline.server_cpu_us_per_request, rampart.server_cpu_us_per_request];
  return { baseline, rampart, ratio, cpu_ratio: b && r ? Math.round((b / r) * 1000) / 1000 : null };
}

async function measure(t: Target, seconds: number, request: RequestShape, settings: BenchContext['settings']): Promise<Slice> {
  const before = t.metricsUrl ? await scrape(t.metricsUrl) : undefined; // also resets the event-loop delay
  const server0 = cpuSeconds(t.pid);
  const loadgen0 = process.cpuUsage();
  const loadgenDelay = monitorEventLoopDelay({ resolution: 10 });
  loadgenDelay.enable();
  const connections: ConnectionSplit = { first: [], later: [] };
  const seen = new WeakSet<object>();
  const raw = await load(t, seconds, request, settings, (client, ms) => {
    (seen.has(client) ? connections.later : connections.first).push(ms);
    seen.add(client);
  });
  const server1 = cpuSeconds(t.pid);
  const loadgen = process.cpuUsage(loadgen0);
  loadgenDelay.disable();
  const after = t.metricsUrl ? await scrape(t.metricsUrl) : undefined;
  return {
    raw,
    serverCpuS: server0 === null || server1 === null ? null : server1 - server0,
    loadgenCpuS: (loadgen.user + loadgen.system) / 1e6,
    loadgenDelayMaxMs: Math.round(loadgenDelay.max / 1e6),
    connections,
    scrapes: before && after ? { before, after } : undefined,
  };
}

/** One autocannon run; stopped by force if it overruns its duration by far. */
async function load(
  t: Target,
  seconds: number,
  request: RequestShape,
  settings: BenchContext['settings'],
  onResponse?: (client: object, ms: number) => void,
): Promise<RawResult> {
  const { requestsFor, ...shape } = request;
  const instance = autocannon({
    url: t.url,
    connections: settings.connections,
    pipelining: settings.pipelining,
    duration: seconds,
    servername: 'localhost', // SNI may not be an IP address
    timeout: 10,
    skipAggregateResult: true,
    ...shape,
    ...(requestsFor ? { requests: requestsFor(t) } : {}),
  });
  if (onResponse) instance.on('response', (client: object, _status: number, _bytes: number, ms: number) => onResponse(client, ms));
  const guard = setTimeout(() => instance.stop(), (seconds + 30) * 1000);
  try {
    return await instance;
  } finally {
    clearTimeout(guard);
  }
}

function summarise(t: Target, slices: Slice[], connections: number): TargetResult {
  const raws = slices.map((s) => s.raw);
  const seconds = raws.reduce((sum, r) => sum + r.duration, 0);
  const completed = raws.reduce((sum, r) => sum + r.totalCompletedRequests, 0);
  const sum = (key: 'errors' | 'timeouts' | 'non2xx') => raws.reduce((total, r) => total + r[key], 0);
  // Latency percentiles from the merged histograms of every round, not an average of per-round percentiles.
  const { latency } = autocannon.aggregateResult(raws, { url: t.url, connections });
  const serverCpu = slices.every((s) => s.serverCpuS !== null)
    ? slices.reduce((total, s) => total + s.serverCpuS!, 0)
    : null;
  const loadgenCpu = slices.reduce((total, s) => total + s.loadgenCpuS, 0);
  const scrapes = slices.flatMap((s) => (s.scrapes ? [s.scrapes] : []));
  const split = (side: 'first' | 'later') => latencySummary(slices.flatMap((s) => s.connections[side]));
  return {
    server: t.server,
    requests_per_s: Math.round(completed / seconds),
    latency_ms: { avg: round2(latency.average), p50: latency.p50, p90: latency.p90, p99: latency.p99, p99_9: latency.p99_9 ?? null, max: latency.max },
    requests: completed,
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    non2xx: sum('non2xx'),
    status_codes: statusCodes(raws),
    measured_s: round2(seconds),
    server_cpu_pct: serverCpu === null ? null : Math.round((serverCpu / seconds) * 100),
    server_cpu_us_per_request: serverCpu === null || completed === 0 ? null : round2((serverCpu / completed) * 1e6),
    loadgen_cpu_pct: Math.round((loadgenCpu / seconds) * 100),
    loadgen_event_loop_delay_max_ms: Math.max(...slices.map((s) => s.loadgenDelayMaxMs)),
    client_side: { first_answer_per_connection: split('first'), on_open_connections: split('later') },
    ...(scrapes.length === slices.length ? { server_side: serverSide(scrapes) } : {}),
  };
}

/** Count, p50/p99/max and answers over 2 s of one side of the connection split. */
function latencySummary(ms: number[]): { count: number; p50_ms: number; p99_ms: number; max_ms: number; over_2s: number } {
  const sorted = Float64Array.from(ms).sort();
  const at = (q: number) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]) : 0);
  return { count: sorted.length, p50_ms: at(0.5), p99_ms: at(0.99), max_ms: at(1), over_2s: ms.filter((x) => x > 2_000).length };
}

/** How many responses had each status code, over every round. */
function statusCodes(raws: RawResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const raw of raws) {
    const stats = (raw as RawResult & { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
    for (const [code, { count }] of Object.entries(stats)) counts[code] = (counts[code] ?? 0) + count;
  }
  return counts;
}

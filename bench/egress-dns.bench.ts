/**
 * The egress DNS proxy's throughput and latency beside querying dnsmasq directly, same run, same query mix.
 * Everything runs inside a throwaway network namespace (the nft engine changes a firewall): dnsmasq, the proxy
 * (its own process, with the real nft engine and a compiled policy allowing the names queried, so every answer
 * goes through the learn path, warm after the first answers), and a UDP load generator keeping
 * BENCH_DNS_INFLIGHT queries in flight. Rounds alternate direct/proxy in ABBA order. Target: proxy >= 75% (issue 11).
 * BENCH_RAMPART_CPU_PROF profiles the proxy process.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetnsLab, type SpawnedInNetns } from '../test/helpers/netns.js';
import { cpuSeconds } from './lib/processes.js';
import { repoRoot } from './lib/rampart.js';
import type { Bench, BenchContext, BenchmarkResult, RateResult } from './lib/types.js';

const TARGET = 0.75;
const DNSMASQ_PORT = 5300;
const PROXY_PORT = 5301;
const IN_FLIGHT = Number(process.env.BENCH_DNS_INFLIGHT ?? 32);
/** Allowed names (web through a CNAME): the proxy forwards each and learns its A answer. */
const NAMES = ['api.example.com', 'web.example.com', 'alias.example.com'];

/** The proxy process: applies a policy with the real nft engine (already inside the namespace), then serves. */
const PROXY_SCRIPT = `
import { createRequire } from 'node:module';
const pino = createRequire('${repoRoot}/package.json')('pino');
const src = (p) => import(new URL(p, 'file://${repoRoot}/src/modules/egress/').href);
const { compilePolicy } = await src('compiler/compile.ts');
const { createNftDataplane } = await src('dataplane/nft.ts');
const { createDnsProxy } = await src('dns/dns-proxy.ts');
const { createDnsCache } = await src('dns/dns-cache.ts');
const compiled = compilePolicy({ generation: 1, default_policy: 'deny', groups: [{ id: 'bench', policy_id: 'bench', mode: 'enforce',
  sources: ['127.0.0.0/8'], default_action: 'deny',
  rules: [{ id: 'allow-names', action: 'allow', match: { dns_hostname: '^(api|web|alias)\\\\.example\\\\.com$' } }] }] });
const dataplane = createNftDataplane();
await dataplane.apply(compiled);
let findings = 0;
const proxy = await createDnsProxy({ listen: '127.0.0.1:${PROXY_PORT}', upstreams: ['127.0.0.1:${DNSMASQ_PORT}'], upstreamTimeoutMs: 2000,
  ttlGraceS: 30, nodeId: 'bench', dnsPolicy: () => compiled.dns, dataplane: () => dataplane, findings: { record: () => findings++ },
  cache: createDnsCache(), logger: pino({ level: 'warn' }), now: () => new Date() });
process.on('SIGTERM', async () => { console.log(JSON.stringify({ stats: proxy.stats(), ruleset: await dataplane.ruleset() })); process.exit(0); });
console.log('ready');
`;

/** N queries in flight on one UDP socket (ids tell them apart); prints {answered, errors, lost, seconds, latencies summary}. */
const LOADGEN_SCRIPT = `
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
const dnsPacket = createRequire('${repoRoot}/package.json')('dns-packet');
const [port, seconds, inFlight] = process.argv.slice(2).map(Number);
const names = ${JSON.stringify(NAMES)};
const templates = names.map((name) => dnsPacket.encode({ type: 'query', id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }));
const socket = dgram.createSocket('udp4');
await new Promise((r) => socket.bind(0, '127.0.0.1', r));
const pending = new Map();
const latencies = [];
let answered = 0, errors = 0, lost = 0, next = 0, nextId = 1, running = true;
function send() {
  if (!running) return;
  const id = nextId = (nextId + 1) & 0xffff || 1;
  const msg = Buffer.from(templates[next++ % templates.length]);
  msg.writeUInt16BE(id, 0);
  pending.set(id, process.hrtime.bigint());
  socket.send(msg, port, '127.0.0.1');
}
socket.on('message', (msg) => {
  const id = msg.readUInt16BE(0);
  const sent = pending.get(id);
  if (sent === undefined) return;
  pending.delete(id);
  latencies.push(Number(process.hrtime.bigint() - sent) / 1e6);
  if ((msg.readUInt16BE(2) & 0xf) !== 0 || msg.readUInt16BE(6) === 0) errors++; else answered++;
  send();
});
// A lost datagram would shrink the window for good: resend after a second.
const sweeper = setInterval(() => {
  const old = process.hrtime.bigint() - 1_000_000_000n;
  for (const [id, sent] of pending) if (sent < old) { pending.delete(id); lost++; send(); }
}, 250);
const started = process.hrtime.bigint();
for (let i = 0; i < inFlight; i++) send();
await new Promise((r) => setTimeout(r, seconds * 1000));
running = false;
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
clearInterval(sweeper);
socket.close();
latencies.sort((a, b) => a - b);
const at = (q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 1000) / 1000;
console.log(JSON.stringify({ answered, errors, lost, seconds: elapsed, p50: at(0.5), p99: at(0.99), max: at(1) }));
`;

interface Round {
  answered: number;
  errors: number;
  lost: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  /** CPU seconds the serving processes used during the round. */
  cpu_s: number;
}

export const bench: Bench = async (ctx) => [await ctx.scoped((scope) => dnsPair(scope))];

async function dnsPair(ctx: BenchContext): Promise<BenchmarkResult> {
  const dir = ctx.tmpDir('rampart-bench-dns-');
  const proxyFile = join(dir, 'proxy.mjs');
  const loadFile = join(dir, 'loadgen.mjs');
  writeFileSync(proxyFile, PROXY_SCRIPT);
  writeFileSync(loadFile, LOADGEN_SCRIPT);
  const lab = NetnsLab.create(['gw']);
  ctx.defer(() => lab.destroy());
  const node = (file: string, args: string[] = [], flags: string[] = []) => lab.spawn('gw', process.execPath, [...flags, '--import', 'tsx', file, ...args]);
  // BENCH_RAMPART_CPU_PROF profiles the proxy process (the side under test), not the load generator.
  const profDir = ctx.settings.rampartCpuProfDir;

  const dnsmasq = lab.spawn('gw', '/usr/sbin/dnsmasq', ['--no-resolv', '--no-hosts', '--address=/api.example.com/203.0.113.10', '--address=/blocked.example.com/203.0.113.20',
    '--host-record=web.example.com,203.0.113.30', '--cname=alias.example.com,web.example.com', '--local-ttl=60', '--cache-size=10000',
    '--port', String(DNSMASQ_PORT), '--listen-address', '127.0.0.1', '--bind-interfaces', '--no-daemon', '--user=root']);
  const proxy = node(proxyFile, [], profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []);
  const port = { direct: DNSMASQ_PORT, proxy: PROXY_PORT };
  await waitFor(proxy, 'ready', 30_000);

  // CPU time of the serving processes (dnsmasq alone, or dnsmasq + proxy): steadier than queries/s on a busy machine.
  const serverCpu = (side: 'direct' | 'proxy') =>
    (cpuSeconds(dnsmasq.proc.pid!) ?? NaN) + (side === 'proxy' ? cpuSeconds(proxy.proc.pid!) ?? NaN : 0);
  const run = async (side: 'direct' | 'proxy', seconds: number): Promise<Round> => {
    const cpuBefore = serverCpu(side);
    const load = node(loadFile, [String(port[side]), String(seconds), String(IN_FLIGHT)]);
    const code = await load.exited;
    if (code !== 0) throw new Error(`load generator failed (${code}): ${load.output()}`);
    const round = JSON.parse(load.stdout().trim().split('\n').pop()!) as Round;
    return { ...round, cpu_s: serverCpu(side) - cpuBefore };
  };
  const sides = { direct: [] as Round[], proxy: [] as Round[] };
  for (const side of ['direct', 'proxy'] as const) await run(side, ctx.settings.warmupS);
  const rounds = ctx.settings.rounds;
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? (['direct', 'proxy'] as const) : (['proxy', 'direct'] as const)) {
      const round = await run(side, ctx.settings.durationS / rounds);
      sides[side].push(round);
      ctx.log(`  round ${r + 1}/${rounds} ${side}: ${Math.round(round.answered / round.seconds)} queries/s, p99 ${round.p99} ms, errors ${round.errors}, lost ${round.lost}`);
    }
  }
  proxy.proc.kill('SIGTERM');
  await proxy.exited;
  const proxyReport = JSON.parse(proxy.stdout().trim().split('\n').pop() ?? '{}') as { stats?: Record<string, number>; ruleset?: string };
  if (!proxyReport.ruleset?.includes('203.0.113.30')) throw new Error(`the proxy did not learn the answers into nft: ${proxy.output()}`);

  const rampart = summarize('rampart DNS proxy (forward + nft learn)', sides.proxy);
  const baseline = summarize('dnsmasq queried directly', sides.direct);
  const ratio = Math.round((rampart.per_s / baseline.per_s) * 100) / 100;
  const cpuRatio = Math.round(((baseline.server_cpu_us_per_query as number) / (rampart.server_cpu_us_per_query as number)) * 100) / 100;
  const addedP99 = Math.round(((rampart.p99_ms as number) - (baseline.p99_ms as number)) * 1000) / 1000;
  ctx.log(`  => proxy ${rampart.per_s} q/s vs dnsmasq ${baseline.per_s} q/s: ratio ${ratio}; added p99 ${addedP99} ms; server CPU per query ${rampart.server_cpu_us_per_query} vs ${baseline.server_cpu_us_per_query} µs`);
  return {
    name: 'Egress DNS proxy: UDP queries through the proxy vs dnsmasq directly',
    unit: 'queries/s',
    rampart: { ...rampart, proxy_stats: proxyReport.stats },
    baseline,
    ratio,
    cpu_ratio: cpuRatio,
    added_p99_ms: addedP99,
    in_flight: IN_FLIGHT,
    query_mix: NAMES,
    target: TARGET,
    meets_target: ratio >= TARGET,
  };
}

function summarize(what: string, rounds: Round[]): RateResult {
  const operations = rounds.reduce((n, r) => n + r.answered, 0);
  const seconds = rounds.reduce((n, r) => n + r.seconds, 0);
  return {
    what,
    operations,
    measured_s: Math.round(seconds * 1000) / 1000,
    per_s: Math.round(operations / seconds),
    // Per round: a percentile of the pooled samples is not recoverable from per-round summaries, so report the worst.
    p50_ms: Math.max(...rounds.map((r) => r.p50)),
    p99_ms: Math.max(...rounds.map((r) => r.p99)),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    lost: rounds.reduce((n, r) => n + r.lost, 0),
    server_cpu_us_per_query: Math.round((rounds.reduce((n, r) => n + r.cpu_s, 0) / operations) * 1e6 * 100) / 100,
  };
}

async function waitFor(child: SpawnedInNetns, line: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!child.stdout().split('\n').includes(line)) {
    if (child.proc.exitCode !== null || Date.now() > deadline) throw new Error(`process did not print "${line}": ${child.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Policy PUT latency end to end: `PUT /api/v1/policies/:id` on a Rampart whose data plane is on, running in a
 * network namespace this benchmark creates (its API on a unix socket), answered only once nftables runs the new
 * generation. Baseline, in the same run: the same PUTs to a Rampart with the data plane off (validated,
 * compiled and stored only, over plain HTTP on loopback). The difference is what waiting for the data plane costs.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { startRampart, repoRoot } from './lib/rampart.js';
import type { Bench, BenchContext, BenchmarkResult, RateResult } from './lib/types.js';
import { GATEWAY_CLIENT_SIDE, RoutedLab, UPSTREAM_IP } from '../test/helpers/routed-lab.js';

const PUTS = 30;
const GROUPS = 16;
const RULES = 64;

type Send = (method: string, path: string, body?: unknown, token?: string) => Promise<{ status: number; json: any }>;

/** A realistic record: 16 groups of 64 rules; `port` varies so every PUT makes a new ruleset. */
function record(port: number) {
  return {
    name: 'bench',
    mode: 'enforce',
    policy: {
      default_policy: 'deny',
      source_groups: Array.from({ length: GROUPS }, (_, g) => ({
        id: `g${g}`,
        sources: { cidrs: [`10.${g}.0.0/16`] },
        default_action: 'deny',
        rules: Array.from({ length: RULES }, (_, r) => ({
          id: `r${r}`,
          action: r % 5 === 4 ? 'deny' : 'allow',
          match: { proto: 'tcp', dst_ports: [r === 0 ? port : 1000 + r], dst_cidrs: [`198.18.${r}.0/24`] },
        })),
      })),
    },
  };
}

function sender(target: { socketPath?: string; origin?: string }): Send {
  return (method, path, body, token) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const url = target.origin ? new URL(path, target.origin) : undefined;
      const req = request(
        {
          ...(target.socketPath ? { socketPath: target.socketPath, path } : { host: url!.hostname, port: url!.port, path }),
          method,
          headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c)).on('end', () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : null }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}

async function measurePuts(ctx: BenchContext, what: string, send: Send, dataDir: string): Promise<RateResult & { p50_ms: number; p95_ms: number; max_ms: number }> {
  const password = readFileSync(join(dataDir, 'initial-admin-password'), 'utf8').split('\n')[0].trim();
  const login = await send('POST', '/api/v1/auth/login', { username: 'admin', password });
  if (login.status !== 200) throw new Error(`${what}: login answered ${login.status}`);
  const token = login.json.access_token as string;
  const created = await send('POST', '/api/v1/policies', record(1), token);
  if (created.status !== 200) throw new Error(`${what}: create answered ${created.status}: ${JSON.stringify(created.json)}`);
  const samples: number[] = [];
  for (let i = 0; i < PUTS; i++) {
    const started = performance.now();
    const put = await send('PUT', `/api/v1/policies/${created.json.id}`, record(2 + i), token);
    samples.push(performance.now() - started);
    if (put.status !== 200) throw new Error(`${what}: PUT answered ${put.status}: ${JSON.stringify(put.json)}`);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => Math.round(samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)] * 10) / 10;
  const seconds = samples.reduce((a, b) => a + b, 0) / 1000;
  ctx.log(`  ${what}: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms over ${PUTS} PUTs`);
  return { what, operations: PUTS, measured_s: Math.round(seconds * 1000) / 1000, per_s: Math.round((PUTS / seconds) * 10) / 10, p50_ms: at(0.5), p95_ms: at(0.95), max_ms: at(1) };
}

export const bench: Bench = async (ctx) => [await ctx.scoped((scope) => putLatency(scope))];

async function putLatency(ctx: BenchContext): Promise<BenchmarkResult> {
  ctx.log(`PUT /api/v1/policies/:id (${GROUPS} groups x ${RULES} rules): data plane on (in a namespace) vs off`);
  const baselineRampart = await startRampart(ctx, { insecureHttp: true, logLevel: ctx.settings.rampartLogLevel, readyPath: '/api/health' });
  const baseline = await measurePuts(ctx, 'rampart, data plane off (stored only)', sender({ origin: baselineRampart.origin }), baselineRampart.dataDir);

  const lab = RoutedLab.create([]);
  ctx.defer(() => lab.destroy());
  const dir = ctx.tmpDir('rampart-bench-egress-');
  const socketPath = join(dir, 'rampart.sock');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RAMPART_')));
  const gateway = lab.spawn('gateway', process.execPath, [join(repoRoot, 'bin/rampart.js'), 'serve', '--insecure-http', '--data-dir', dir,
    '--listen', `unix:${socketPath}`, '--metrics-listen', '127.0.0.1:0'], {
    ...env,
    RAMPART_LOG_LEVEL: ctx.settings.rampartLogLevel,
    RAMPART_DATAPLANE_ENABLED: 'true',
    RAMPART_EGRESS_DNS_LISTEN: `${GATEWAY_CLIENT_SIDE}:53`,
    RAMPART_EGRESS_DNS_UPSTREAMS: `${UPSTREAM_IP}:53`,
  });
  const deadline = Date.now() + 30_000;
  while (!gateway.output().includes('Rampart is serving')) {
    if (Date.now() > deadline || gateway.proc.exitCode !== null) throw new Error(`the gateway's Rampart did not start:\n${gateway.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const rampart = await measurePuts(ctx, 'rampart, data plane on (answers once nft runs it)', sender({ socketPath }), dir);
  const ratio = Math.round((rampart.p50_ms / baseline.p50_ms) * 100) / 100;
  ctx.log(`  => p50 ${rampart.p50_ms} ms with the data plane vs ${baseline.p50_ms} ms without (x${ratio})`);
  return {
    name: `PUT /api/v1/policies/:id end to end (${GROUPS} groups x ${RULES} rules)`,
    unit: 'ms (p50 latency)',
    rampart,
    baseline,
    ratio,
    note: 'ratio = p50 with the data plane / p50 without: the cost of compiling, applying with nft -f and waiting for it',
  };
}

/**
 * Policy PUT latency end to end: a one-rule change through `PUT /api/v1/policies/:id` on a Rampart whose data
 * plane is on, running in a network namespace this benchmark creates (its API on a unix socket), answered only
 * once nftables runs the new generation. The policy is as large as one record can be under the 2 MiB body limit
 * (1,024 groups x 16 rules; one record is active at a time, so it cannot be split over records).
 * Baselines, in the same run: the same PUTs to a Rampart with the data plane off (validated, compiled and stored
 * only, over plain HTTP on loopback), and a full compile (empty compile cache) + whole-table apply of the same
 * policy in a namespace of its own. Target: the PUT's p50 within 0.1x of that full compile + apply. Also printed:
 * the database growth per generation (manifest and new parts) and the total the kept generations take.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startRampart, repoRoot } from './lib/rampart.js';
import { cpuSeconds } from './lib/processes.js';
import { compilePolicy } from '../src/modules/egress/compiler/compile.js';
import { CompileCache } from '../src/modules/egress/compiler/compile-cache.js';
import { createNftDataplane } from '../src/modules/egress/dataplane/nft.js';
import { effectivePolicy } from '../src/modules/egress/policy/policy.effective.js';
import type { PolicyRecord } from '../src/modules/egress/policy/policy.types.js';
import type { Bench, BenchContext, BenchmarkResult, RateResult } from './lib/types.js';
import { GATEWAY_CLIENT_SIDE, RoutedLab, UPSTREAM_IP } from '../test/helpers/routed-lab.js';

const PUTS = 30;
const GROUPS = 1024;
const RULES = 16;
/** PUT p50 over the full compile + apply of the same policy. */
const TARGET_RATIO = 0.1;
/** PUTs before measuring database growth: fewer than the generations kept, so none has been dropped yet. */
const GROWTH_PUTS = 10;

/** A body is sent as given when it is a string (serialised before the clock starts), else as its JSON. */
type Send = (method: string, path: string, body?: unknown, token?: string, answered?: () => void) => Promise<{ status: number; json: any }>;

/** 1,024 groups of 16 rules (ports, networks, a DNS name, ICMP); `port` is the one rule each PUT changes (group 512's first). */
function record(port: number) {
  return {
    name: 'bench',
    mode: 'enforce',
    policy: {
      default_policy: 'deny',
      source_groups: Array.from({ length: GROUPS }, (_, g) => ({
        id: `g${g}`,
        sources: { cidrs: [`10.${g >> 8}.${g & 255}.0/24`] },
        default_action: 'deny',
        rules: Array.from({ length: RULES }, (_, r) => ({
          id: `r${r}`,
          action: r % 5 === 4 ? 'deny' : 'allow',
          match: r === 1 ? { dns_hostname: `^svc\\.g${g}\\.example\\.com$` }
            : r % 4 === 3 ? { icmp_types: [8], dst_cidrs: [`100.64.${r}.0/24`] }
            : { proto: 'tcp', dst_ports: [g === 512 && r === 0 ? port : 1000 + r], dst_cidrs: [`198.18.${r}.0/24`] },
        })),
      })),
    },
  };
}

function sender(target: { socketPath?: string; origin?: string }): Send {
  return (method, path, body, token, answered) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const url = target.origin ? new URL(path, target.origin) : undefined;
      const req = request(
        {
          ...(target.socketPath ? { socketPath: target.socketPath, path } : { host: url!.hostname, port: url!.port, path }),
          method,
          headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c)).on('end', () => {
            answered?.();
            resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : null });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}

async function measurePuts(ctx: BenchContext, what: string, send: Send, dataDir: string, pid: number, afterPut?: (count: number) => void): Promise<RateResult & { p50_ms: number; p95_ms: number; max_ms: number; server_cpu_ms_per_put: number | null }> {
  const password = readFileSync(join(dataDir, 'initial-admin-password'), 'utf8').split('\n')[0].trim();
  const login = await send('POST', '/api/v1/auth/login', { username: 'admin', password });
  if (login.status !== 200) throw new Error(`${what}: login answered ${login.status}`);
  const token = login.json.access_token as string;
  const created = await send('POST', '/api/v1/policies', record(1), token);
  if (created.status !== 200) throw new Error(`${what}: create answered ${created.status}: ${JSON.stringify(created.json)}`);
  afterPut?.(0);
  const samples: number[] = [];
  const cpuBefore = cpuSeconds(pid);
  for (let i = 0; i < PUTS; i++) {
    // The client's own work stays outside the clock: building and serialising the 2 MiB body before it, parsing
    // the answer after the last byte (send resolves on it and parses then).
    const body = JSON.stringify(record(2 + i));
    const started = performance.now();
    const put = await send('PUT', `/api/v1/policies/${created.json.id}`, body, token, () => samples.push(performance.now() - started));
    if (put.status !== 200) throw new Error(`${what}: PUT answered ${put.status}: ${JSON.stringify(put.json)}`);
    afterPut?.(i + 1);
  }
  const cpuAfter = cpuSeconds(pid);
  // Rampart's own process only (the spawner and nft are apart); the clients' body building is in the bench process.
  const cpuMs = cpuBefore === null || cpuAfter === null ? null : Math.round(((cpuAfter - cpuBefore) * 1000) / PUTS * 10) / 10;
  samples.sort((a, b) => a - b);
  const at = (q: number) => Math.round(samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)] * 10) / 10;
  const seconds = samples.reduce((a, b) => a + b, 0) / 1000;
  ctx.log(`  ${what}: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms over ${PUTS} PUTs; Rampart's CPU ${cpuMs} ms per PUT`);
  return { what, operations: PUTS, measured_s: Math.round(seconds * 1000) / 1000, per_s: Math.round((PUTS / seconds) * 10) / 10, p50_ms: at(0.5), p95_ms: at(0.95), max_ms: at(1), server_cpu_ms_per_put: cpuMs };
}

export const bench: Bench = async (ctx) => [await ctx.scoped((scope) => putLatency(scope))];

async function putLatency(ctx: BenchContext): Promise<BenchmarkResult> {
  ctx.log(`PUT /api/v1/policies/:id (${GROUPS} groups x ${RULES} rules): data plane on (in a namespace) vs off`);
  const baselineRampart = await startRampart(ctx, { insecureHttp: true, logLevel: ctx.settings.rampartLogLevel, readyPath: '/api/health' });
  const baseline = await measurePuts(ctx, 'rampart, data plane off (stored only)', sender({ origin: baselineRampart.origin }), baselineRampart.dataDir, baselineRampart.child.pid);

  const lab = RoutedLab.create([]);
  ctx.defer(() => lab.destroy());
  const dir = ctx.tmpDir('rampart-bench-egress-');
  const socketPath = join(dir, 'rampart.sock');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RAMPART_')));
  const profDir = ctx.settings.rampartCpuProfDir;
  const gateway = lab.spawn('gateway', process.execPath, [...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), join(repoRoot, 'bin/rampart.js'), 'serve', '--insecure-http', '--data-dir', dir,
    '--listen', `unix:${socketPath}`, '--metrics-listen', '127.0.0.1:0'], {
    ...env,
    RAMPART_LOG_LEVEL: ctx.settings.rampartLogLevel,
    RAMPART_DATAPLANE_ENABLED: 'true',
    // The first write replaces the whole table (not measured); on a busy machine that can take longer than the 2 s default.
    RAMPART_EGRESS_APPLY_TIMEOUT_MS: '30000',
    RAMPART_EGRESS_DNS_LISTEN: `${GATEWAY_CLIENT_SIDE}:53`,
    RAMPART_EGRESS_DNS_UPSTREAMS: `${UPSTREAM_IP}:53`,
  });
  const deadline = Date.now() + 30_000;
  while (!gateway.output().includes('"msg":"Rampart is serving"')) {
    if (Date.now() > deadline || gateway.proc.exitCode !== null) throw new Error(`the gateway's Rampart did not start:\n${gateway.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const storage = generationStorage(join(dir, 'rampart.db'));
  const growth: Record<number, number> = {};
  const rampart = await measurePuts(ctx, 'rampart, data plane on (answers once nft runs it)', sender({ socketPath }), dir, gateway.proc.pid!, (count) => {
    if (count === 0 || count === GROWTH_PUTS) growth[count] = storage().bytes;
  });
  const kept = storage();
  const growthKb = Math.round((growth[GROWTH_PUTS] - growth[0]) / GROWTH_PUTS / 102.4) / 10;
  ctx.log(`  database: ${growthKb} kB per one-rule generation (over ${GROWTH_PUTS} PUTs); ${kept.generations} generations kept in ${Math.round(kept.bytes / 1024)} kB (${kept.parts} parts)`);

  const full = await fullCompileAndApply(ctx);
  const ratio = Math.round((rampart.p50_ms / full.p50_ms) * 1000) / 1000;
  const offRatio = Math.round((rampart.p50_ms / baseline.p50_ms) * 100) / 100;
  ctx.log(`  => p50 ${rampart.p50_ms} ms with the data plane (x${ratio} of the full compile + apply, ${full.p50_ms} ms; target x${TARGET_RATIO}); ${baseline.p50_ms} ms without it (x${offRatio})`);
  return {
    name: `PUT /api/v1/policies/:id, one-rule change, end to end (${GROUPS} groups x ${RULES} rules)`,
    unit: 'ms (p50 latency)',
    rampart: { ...rampart, db_growth_kb_per_generation: growthKb, db_kept_kb: Math.round(kept.bytes / 1024), generations_kept: kept.generations },
    baseline: full,
    data_plane_off: baseline,
    ratio,
    data_plane_off_ratio: offRatio,
    target: TARGET_RATIO,
    meets_target: ratio <= TARGET_RATIO,
    note: 'ratio = PUT p50 with the data plane / full compile (empty cache) + whole-table apply of the same policy',
  };
}

/** What the kept generations take in the gateway's database (manifests and parts), read beside the running server. */
function generationStorage(file: string): () => { generations: number; parts: number; bytes: number } {
  return () => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const g = db.prepare('select count(*) as n, coalesce(sum(length(manifest)), 0) as bytes from egress_generations').get() as { n: number; bytes: number };
      const p = db.prepare('select count(*) as n, coalesce(sum(bytes), 0) as bytes from egress_generation_parts').get() as { n: number; bytes: number };
      return { generations: g.n, parts: p.n, bytes: g.bytes + p.bytes };
    } finally {
      db.close();
    }
  };
}

/** The baseline: the same policy compiled from an empty cache and applied whole by a fresh data plane, in its own namespace. */
async function fullCompileAndApply(ctx: BenchContext): Promise<RateResult & { p50_ms: number }> {
  const ns = `rpb${process.pid}-put`;
  const made = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`ip netns add: ${made.stderr}`);
  ctx.defer(() => void spawnSync('ip', ['netns', 'del', ns]));
  const { policy } = record(1);
  const now = new Date().toISOString();
  const active: PolicyRecord = { id: '00000000-0000-4000-8000-000000000001', name: 'bench', mode: 'enforce', policy: policy as PolicyRecord['policy'], created_at: now, updated_at: now };
  const samples: number[] = [];
  for (let round = 0; round < Math.max(3, ctx.settings.rounds); round++) {
    const dataplane = createNftDataplane({ nftCommand: ['ip', 'netns', 'exec', ns, 'nft'] });
    const started = performance.now();
    const effective = await effectivePolicy(active, round + 1, async () => []);
    await dataplane.apply(compilePolicy(effective, new CompileCache()));
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const p50 = Math.round(samples[Math.floor(samples.length / 2)]);
  ctx.log(`  full compile + apply of the same policy: p50 ${p50} ms over ${samples.length} rounds`);
  const total = samples.reduce((a, b) => a + b, 0) / 1000;
  return { what: 'effective policy + compilePolicy (empty cache) + whole-table nft -f, in a namespace', operations: samples.length, measured_s: Math.round(total * 1000) / 1000, per_s: Math.round((samples.length / total) * 100) / 100, p50_ms: p50 };
}

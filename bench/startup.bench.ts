/**
 * Start-up, beside `node -e 0` measured in the same run and in alternation (so load drift weighs on both):
 *   - `rampart version` wall time (target: within 2x);
 *   - `rampart serve` from spawn to its first 200 on GET /api/v1/health, on a data dir that is already migrated
 *     (a restart; the first start also migrates and hashes the bootstrap password, reported beside it) (target: 10x),
 *     with the CPU the process had used by then (on a shared machine the load weighs on it less than on wall time);
 *   - the resident memory of the idle server once it has settled (target: under 130 MiB).
 * Rampart runs as users run it, from the compiled build (bench/run.ts compiles first); the same figures from the
 * TypeScript sources through tsx are printed for comparison.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, freePort, fetchOnce } from './lib/processes.js';
import { repoRoot } from './lib/rampart.js';
import type { Bench, BenchContext, BenchmarkResult, RateResult } from './lib/types.js';

const VERSION_RUNS = 10;
const SERVE_RUNS = 5;
const VERSION_TARGET = 2;
const SERVE_TARGET = 10;
const RSS_TARGET_MIB = 130;

type Launcher = { what: string; args: (rampartArgs: string[]) => string[] };

const compiled: Launcher = { what: 'compiled (dist/)', args: (a) => [join(repoRoot, 'bin/rampart.js'), ...a] };
// main(argv) expects argv[0] and argv[1] to be node and the script, as commander reads them.
const fromSources: Launcher = {
  what: 'TypeScript sources through tsx',
  args: (a) => ['--import', 'tsx', '--input-type=module', '-e',
    `const { main } = await import(${JSON.stringify(join(repoRoot, 'src/cli/main.ts'))}); await main(['node', 'rampart', ...process.argv.slice(1)]);`, ...a],
};

export const bench: Bench = async (ctx) => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('RAMPART_')));
  return [versionPair(ctx, env), await ctx.scoped((scope) => servePair(scope, env))];
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Wall time of one process from spawn to exit, in ms; fails on a non-zero exit. */
function timedRun(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: repoRoot, env, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

function rate(what: string, runs: number[]): RateResult & { median_ms: number; runs_ms: number[] } {
  const ms = median(runs);
  return { what, operations: runs.length, measured_s: round(runs.reduce((a, b) => a + b, 0) / 1000), per_s: round(1000 / ms, 2), median_ms: round(ms, 1), runs_ms: runs.map((r) => round(r, 1)) };
}

function versionPair(ctx: BenchContext, env: NodeJS.ProcessEnv): BenchmarkResult {
  ctx.log(`rampart version vs node -e 0: ${VERSION_RUNS} runs each, alternating`);
  const bare: number[] = [];
  const rampart: number[] = [];
  const tsx: number[] = [];
  for (let i = 0; i < VERSION_RUNS; i++) {
    bare.push(timedRun(['-e', '0'], env));
    rampart.push(timedRun(compiled.args(['version']), env));
    if (i < 3) tsx.push(timedRun(fromSources.args(['version']), env));
  }
  const ratio = round(median(rampart) / median(bare), 2);
  ctx.log(`  => version ${round(median(rampart), 0)} ms vs node -e 0 ${round(median(bare), 0)} ms: ${ratio}x (tsx: ${round(median(tsx), 0)} ms)`);
  return {
    name: 'rampart version start-up (wall time, lower is better)',
    unit: 'x node -e 0 (median wall time)',
    rampart: rate(`rampart version, ${compiled.what}`, rampart),
    baseline: rate('node -e 0', bare),
    ratio,
    from_sources: { ...rate(`rampart version, ${fromSources.what}`, tsx), ratio: round(median(tsx) / median(bare), 2) },
    target: VERSION_TARGET,
    meets_target: ratio <= VERSION_TARGET,
  };
}

interface ServeStart {
  ms: number;
  /** CPU (user + system, all threads) the process had used when the first 200 came: load weighs on it less. */
  cpuMs: number;
  rssMiB: number;
}

/** Spawns serve, times it to the first 200 and, for the idle figure, waits for its resident memory to settle. */
async function startServe(ctx: BenchContext, launcher: Launcher, dataDir: string, env: NodeJS.ProcessEnv, measureRss: boolean): Promise<ServeStart> {
  const port = await freePort();
  const args = launcher.args(['serve', '--insecure-http', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--metrics-listen', '127.0.0.1:0']);
  const started = performance.now();
  const proc = spawn(process.execPath, args, { cwd: repoRoot, env: { ...env, RAMPART_LOG_FORMAT: 'json' }, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    const url = `http://127.0.0.1:${port}/api/v1/health`;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`rampart serve exited ${proc.exitCode} before serving`);
      if (performance.now() - started > 60_000) throw new Error('rampart serve did not answer within 60 s');
      const res = await fetchOnce(url, 1_000).catch(() => undefined);
      if (res?.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const ms = performance.now() - started;
    const cpuMs = (cpuSeconds(proc.pid!) ?? NaN) * 1000;
    return { ms, cpuMs, rssMiB: measureRss ? await settledRssMiB(proc.pid!) : 0 };
  } finally {
    proc.kill('SIGTERM');
    await exited;
  }
}

function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

/** The idle server's RSS once two readings half a second apart differ by under 1% (at most 10 s). */
async function settledRssMiB(pid: number): Promise<number> {
  let last = rssMiB(pid);
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = rssMiB(pid);
    if (Math.abs(now - last) < last * 0.01) return now;
    last = now;
  }
  return last;
}

async function servePair(ctx: BenchContext, env: NodeJS.ProcessEnv): Promise<BenchmarkResult> {
  ctx.log(`rampart serve to first 200 vs node -e 0: a first start, then ${SERVE_RUNS} restarts, alternating`);
  const dataDir = ctx.tmpDir('rampart-bench-startup-');
  const first = await startServe(ctx, compiled, dataDir, env, false);
  const bare: number[] = [];
  const restarts: ServeStart[] = [];
  const tsx: ServeStart[] = [];
  for (let i = 0; i < SERVE_RUNS; i++) {
    bare.push(timedRun(['-e', '0'], env));
    restarts.push(await startServe(ctx, compiled, dataDir, env, true));
    if (i < 2) tsx.push(await startServe(ctx, fromSources, dataDir, env, true));
  }
  const ms = restarts.map((r) => r.ms);
  const ratio = round(median(ms) / median(bare), 2);
  const rss = round(median(restarts.map((r) => r.rssMiB)), 1);
  const tsxRss = round(median(tsx.map((r) => r.rssMiB)), 1);
  const cpuMs = round(median(restarts.map((r) => r.cpuMs)), 0);
  ctx.log(`  => serve ${round(median(ms), 0)} ms vs node -e 0 ${round(median(bare), 0)} ms: ${ratio}x (CPU to the first 200 ${cpuMs} ms); idle RSS ${rss} MiB (tsx: ${round(median(tsx.map((r) => r.ms)), 0)} ms, ${tsxRss} MiB)`);
  return {
    name: 'rampart serve start-up to the first 200 (wall time, lower is better)',
    unit: 'x node -e 0 (median wall time)',
    rampart: {
      ...rate(`rampart serve --insecure-http to GET /api/v1/health 200, migrated data dir, ${compiled.what}`, ms),
      cpu_ms_to_first_200: cpuMs,
      cpu_runs_ms: restarts.map((r) => round(r.cpuMs, 0)),
      idle_rss_mib: rss,
    },
    baseline: rate('node -e 0', bare),
    ratio,
    first_start_ms: round(first.ms, 1),
    from_sources: {
      ...rate(`the same, ${fromSources.what}`, tsx.map((r) => r.ms)),
      ratio: round(median(tsx.map((r) => r.ms)) / median(bare), 2),
      idle_rss_mib: tsxRss,
    },
    target: SERVE_TARGET,
    meets_target: ratio <= SERVE_TARGET,
    idle_rss_target_mib: RSS_TARGET_MIB,
    meets_idle_rss_target: rss < RSS_TARGET_MIB,
  };
}

/**
 * npm run bench: runs every bench/*.bench.ts (arguments narrow it to files whose name contains one of them) and
 * prints ONE JSON document on stdout; progress goes to stderr.
 *   npm run bench                        # everything
 *   npm run bench -- health              # bench/health.bench.ts only
 *   BENCH_DURATION_S=20 npm run bench    # longer measured runs
 * Settings (env): BENCH_DURATION_S (8), BENCH_WARMUP_S (2), BENCH_CONNECTIONS (50), BENCH_ROUNDS (2),
 * BENCH_RAMPART_LOG_LEVEL (info, Rampart's default), BENCH_RAMPART_CPU_PROF (a directory: profile Rampart with --cpu-prof, which
 * slows it down, so such a run's numbers are for finding hot spots, not for the target).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import { createContext, liveTmpDirs } from './lib/context.js';
import { killLiveChildren } from './lib/processes.js';
import type { Bench, BenchmarkResult, BenchSettings } from './lib/types.js';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const log = (message: string) => void process.stderr.write(`${message}\n`);

function numberEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number in [${min}, ${max}], got ${raw}`);
  return value;
}

function settingsFromEnv(): BenchSettings {
  const level = process.env.BENCH_RAMPART_LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) {
    throw new Error(`BENCH_RAMPART_LOG_LEVEL must be a pino level, got ${level}`);
  }
  return {
    durationS: numberEnv('BENCH_DURATION_S', 8, 1, 600),
    warmupS: numberEnv('BENCH_WARMUP_S', 2, 0, 60),
    connections: Math.round(numberEnv('BENCH_CONNECTIONS', 50, 1, 1000)),
    pipelining: 1,
    rounds: Math.round(numberEnv('BENCH_ROUNDS', 2, 1, 20)),
    rampartLogLevel: level,
    rampartCpuProfDir: process.env.BENCH_RAMPART_CPU_PROF ? resolve(process.env.BENCH_RAMPART_CPU_PROF) : undefined,
  };
}

function benchFiles(filters: string[]): string[] {
  return readdirSync(benchDir)
    .filter((name) => name.endsWith('.bench.ts'))
    .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
    .sort();
}

/** Which code was measured: the checkout's commit, and whether it had uncommitted changes. */
function codeUnderTest(): { commit: string; dirty: boolean } | null {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: benchDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit: git('rev-parse', 'HEAD').trim(), dirty: git('status', '--porcelain').trim() !== '' };
  } catch {
    return null;
  }
}

function autocannonVersion(): string {
  const pkg = JSON.parse(readFileSync(join(benchDir, '..', 'node_modules', 'autocannon', 'package.json'), 'utf8'));
  return String(pkg.version);
}

async function main(): Promise<number> {
  const settings = settingsFromEnv();
  const files = benchFiles(process.argv.slice(2));
  if (files.length === 0) throw new Error(`no bench/*.bench.ts matches ${process.argv.slice(2).join(' ')}`);
  // Rampart is measured as users run it, from the compiled build: compile it when src/ changed (stderr only).
  execFileSync(process.execPath, [join(benchDir, '..', 'scripts', 'build-server.js'), '--if-stale'], { stdio: ['ignore', 2, 2] });
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg().map((n) => Math.round(n * 100) / 100);
  if (loadAtStart[0] > cpus().length / 2) {
    log(`note: load average ${loadAtStart[0]} on ${cpus().length} CPUs; other work will skew requests/s (cpu_ratio is steadier)`);
  }
  const benchmarks: BenchmarkResult[] = [];
  const failures: { file: string; error: string }[] = [];

  for (const file of files) {
    log(`== ${file}`);
    const { ctx, cleanup } = createContext(settings, log);
    try {
      const mod = (await import(pathToFileURL(join(benchDir, file)).href)) as { bench?: Bench };
      if (typeof mod.bench !== 'function') throw new Error(`${file} does not export a bench function`);
      benchmarks.push(...(await mod.bench(ctx)));
    } catch (err) {
      log(`${file} failed: ${(err as Error).stack ?? err}`);
      failures.push({ file, error: (err as Error).message });
    } finally {
      await cleanup();
    }
  }

  const cpuList = cpus();
  const report = {
    machine: {
      cpus: cpuList.length,
      cpu_model: cpuList[0]?.model ?? 'unknown',
      node: process.version,
      platform: platform(),
      arch: arch(),
      kernel: release(),
      // Other work on the machine skews every number; compare runs only at similar load.
      load_average_1_5_15m: { at_start: loadAtStart, at_end: loadavg().map((n) => Math.round(n * 100) / 100) },
    },
    code: codeUnderTest(),
    started_at: startedAt,
    finished_at: new Date().toISOString(),
    settings: {
      load_generator: `autocannon ${autocannonVersion()}, in the harness process`,
      connections: settings.connections,
      pipelining: settings.pipelining,
      warmup_s: settings.warmupS,
      duration_s: settings.durationS,
      rounds: settings.rounds,
      latency_resolution_ms: 1, // autocannon records whole milliseconds
      round_order: 'ABBA: baseline, rampart, rampart, baseline, ...',
      rampart_log_level: settings.rampartLogLevel,
      rampart_database: 'SQLite in a fresh temp data dir',
      ...(settings.rampartCpuProfDir ? { rampart_cpu_profile_dir: settings.rampartCpuProfDir } : {}),
    },
    benchmarks,
    ...(failures.length ? { failures } : {}),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return failures.length ? 1 : 0;
}

// Whatever happens, no server child or temp dir outlives the harness.
process.on('exit', () => {
  killLiveChildren();
  for (const dir of liveTmpDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`bench failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);

/** The contract between bench/run.ts and every bench/*.bench.ts. */

export interface BenchSettings {
  /** Measured seconds per target, split over `rounds` (env BENCH_DURATION_S). */
  durationS: number;
  /** Warm-up seconds per target before measuring (env BENCH_WARMUP_S). */
  warmupS: number;
  /** Concurrent connections of the load generator (env BENCH_CONNECTIONS). */
  connections: number;
  pipelining: number;
  /** Measured slices per target, run in ABBA order so slow drift hits both targets alike (env BENCH_ROUNDS). */
  rounds: number;
  /** Rampart's log level during benchmarks (env BENCH_RAMPART_LOG_LEVEL). */
  rampartLogLevel: string;
  /** When set, Rampart runs with --cpu-prof and writes its .cpuprofile files here (env BENCH_RAMPART_CPU_PROF). */
  rampartCpuProfDir?: string;
}

export interface BenchContext {
  settings: BenchSettings;
  /** Human progress on stderr; stdout carries only the final JSON document. */
  log(message: string): void;
  /** Registers cleanup; run.ts runs it (last first) when the benchmark ends, even on failure or signal. */
  defer(fn: () => void | Promise<void>): void;
  /** A fresh temporary directory, removed on cleanup. */
  tmpDir(prefix: string): string;
  /** Runs fn with its own cleanup scope, so e.g. servers of one comparison are gone before the next starts. */
  scoped<T>(fn: (ctx: BenchContext) => Promise<T>): Promise<T>;
}

export interface LatencyMs {
  avg: number;
  p50: number;
  p90: number;
  p99: number;
  p99_9?: number | null;
  max: number;
}

/** One target's measured numbers. */
export interface TargetResult {
  server: string;
  requests_per_s: number;
  latency_ms: LatencyMs;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Share of one core the server process used while measured (Linux /proc); null where unknown. */
  server_cpu_pct: number | null;
  /** Server CPU time per completed request: steadier than requests/s when other work shares the machine. */
  server_cpu_us_per_request: number | null;
  [extra: string]: unknown;
}

/** One side of a comparison without HTTP (in-process work, a command line): operations done and their rate. */
export interface RateResult {
  what: string;
  operations: number;
  measured_s: number;
  per_s: number;
  [extra: string]: unknown;
}

/** One side of a comparison that is a single figure in `unit` (a size, a median time), with what it measured. */
export interface FigureResult {
  what: string;
  value: number;
  [extra: string]: unknown;
}

export interface BenchmarkResult {
  name: string;
  unit: string;
  rampart: TargetResult | RateResult | FigureResult;
  baseline: TargetResult | RateResult | FigureResult;
  /** rampart / baseline in `unit`. */
  ratio: number;
  /** baseline / rampart server CPU per request: the ratio if each server had a core of its own. */
  cpu_ratio?: number | null;
  target?: number;
  meets_target?: boolean;
  [extra: string]: unknown;
}

/** What every bench/*.bench.ts exports. */
export type Bench = (ctx: BenchContext) => Promise<BenchmarkResult[]>;

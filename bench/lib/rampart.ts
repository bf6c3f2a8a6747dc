import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from './types.js';
import { freePort, spawnChild, waitUntilServing, type Child, type Fetched } from './processes.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface RunningRampart {
  child: Child;
  /** Scheme, host and port: https://127.0.0.1:PORT */
  origin: string;
  dataDir: string;
  /** The self-signed certificate Rampart generated into its data dir; undefined over plain HTTP. */
  tls?: { certFile: string; keyFile: string };
  /** The answer to the readiness probe. */
  ready: Fetched;
  /** Its metrics listener's /metrics URL (Prometheus text: per-route server-side latency, event-loop delay). */
  metricsUrl: string;
}

/**
 * `rampart serve` through the real CLI, in its own process, on a fresh data dir (SQLite) with an empty config file
 * (or the benchmark's `config` TOML, e.g. a PostgreSQL URL) and no inherited RAMPART_* variables, so the caller's
 * environment cannot change what is measured.
 */
export async function startRampart(
  ctx: BenchContext,
  opts: { insecureHttp: boolean; logLevel: string; readyPath: string; config?: string; dataDir?: string; readyTimeoutMs?: number },
): Promise<RunningRampart> {
  // A given data dir is another run's (restarted on what it left), config file included.
  const dataDir = opts.dataDir ?? ctx.tmpDir('rampart-bench-');
  const configFile = join(dataDir, 'rampart.toml');
  if (!opts.dataDir) writeFileSync(configFile, opts.config ?? '', { mode: 0o600 });
  const [port, metricsPort] = [await freePort(), await freePort()];
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('RAMPART_')));
  const profDir = ctx.settings.rampartCpuProfDir;
  const args = [
    ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []),
    join(repoRoot, 'bin/rampart.js'), 'serve',
    '--config', configFile,
    '--data-dir', dataDir,
    '--listen', `127.0.0.1:${port}`,
    '--metrics-listen', `127.0.0.1:${metricsPort}`,
    ...(opts.insecureHttp ? ['--insecure-http'] : []),
  ];
  const child = spawnChild(opts.insecureHttp ? 'rampart-http' : 'rampart-https', args, {
    cwd: repoRoot,
    env: { ...env, RAMPART_LOG_LEVEL: opts.logLevel, RAMPART_LOG_FORMAT: 'json' },
    logDir: dataDir,
  });
  ctx.defer(() => child.stop());
  const origin = `${opts.insecureHttp ? 'http' : 'https'}://127.0.0.1:${port}`;
  const ready = await waitUntilServing(child, origin + opts.readyPath, opts.readyTimeoutMs);
  const tls = opts.insecureHttp
    ? undefined
    : { certFile: join(dataDir, 'tls', 'cert.pem'), keyFile: join(dataDir, 'tls', 'key.pem') };
  return { child, origin, dataDir, tls, ready, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
}

import { join } from 'node:path';
import type { BenchContext } from './types.js';
import { freePort, spawnChild, waitUntilServing, type Child, type Fetched } from './processes.js';
import { repoRoot } from './rampart.js';

export interface RunningBare {
  child: Child;
  origin: string;
  ready: Fetched;
}

/** The bare node:http(s) baseline (lib/bare-server.ts) in its own process, answering `path` (`*`: any) with exactly `response`. */
export async function startBare(
  ctx: BenchContext,
  opts: {
    path: string;
    response: { contentType: string; body: string; status?: number; headers?: Record<string, string> };
    tls?: { certFile: string; keyFile: string };
  },
): Promise<RunningBare> {
  const port = await freePort();
  const child = spawnChild(opts.tls ? 'bare-https' : 'bare-http', ['--import', 'tsx', join(repoRoot, 'bench/lib/bare-server.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      BARE_PORT: String(port),
      BARE_PATH: opts.path,
      BARE_BODY: opts.response.body,
      BARE_CONTENT_TYPE: opts.response.contentType,
      BARE_STATUS: String(opts.response.status ?? 200),
      BARE_HEADERS: JSON.stringify(opts.response.headers ?? {}),
      ...(opts.tls ? { BARE_CERT_FILE: opts.tls.certFile, BARE_KEY_FILE: opts.tls.keyFile } : {}),
    },
    logDir: ctx.tmpDir('rampart-bench-bare-'),
  });
  ctx.defer(() => child.stop());
  const origin = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return { child, origin, ready: await waitUntilServing(child, origin + (opts.path === '*' ? '/' : opts.path)) };
}

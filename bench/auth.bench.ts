/**
 * Authenticated GET /api/v1/auth/me with a bearer JWT (its expiry checked on every request, its EdDSA signature once
 * per token, the session's principal cached) beside a bare node:http server answering the same bytes, over plain HTTP: target 35%.
 * Beside it, login latency: sequential password logins (argon2id at Rampart's default cost), median and p95.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBare } from './lib/bare.js';
import { comparePair } from './lib/load.js';
import { startRampart } from './lib/rampart.js';
import type { Bench, BenchContext, BenchmarkResult } from './lib/types.js';

const PATH = '/api/v1/auth/me';
const TARGET = 0.35;
/** Below the per-IP login rate limit (30 a minute), which the bench's one address shares with the first login. */
const LOGIN_SAMPLES = 20;

export const bench: Bench = async (ctx) => [await ctx.scoped((scope) => mePair(scope))];

async function mePair(ctx: BenchContext): Promise<BenchmarkResult> {
  const logLevel = ctx.settings.rampartLogLevel;
  ctx.log(`GET ${PATH} with a bearer JWT: starting Rampart (log level ${logLevel}) and the bare node:http server`);
  const rampart = await startRampart(ctx, { insecureHttp: true, logLevel, readyPath: '/api/v1/health' });
  // First start created `admin` and wrote its password on the first line here, where an operator reads it.
  const password = readFileSync(join(rampart.dataDir, 'initial-admin-password'), 'utf8').split('\n')[0].trim();
  const credentials = { username: 'admin', password };

  const { access_token: token } = await login(rampart.origin, credentials);
  const headers = { authorization: `Bearer ${token}` };
  const me = await fetch(rampart.origin + PATH, { headers });
  if (me.status !== 200) throw new Error(`GET ${PATH} answered ${me.status}: ${await me.text()}`);
  const response = { contentType: me.headers.get('content-type') ?? '', body: await me.text() };
  const bare = await startBare(ctx, { path: PATH, response });

  const pair = await comparePair(
    ctx,
    {
      baseline: { server: 'bare node:http', url: bare.origin + PATH, pid: bare.child.pid },
      rampart: { server: 'rampart', url: rampart.origin + PATH, pid: rampart.child.pid },
    },
    { headers },
  );
  if (pair.rampart.non2xx > 0) throw new Error(`${pair.rampart.non2xx} authenticated requests were refused: the figure means nothing`);
  ctx.log(`  => rampart ${pair.rampart.requests_per_s} req/s vs bare ${pair.baseline.requests_per_s} req/s: ratio ${pair.ratio} (CPU ratio ${pair.cpu_ratio})`);

  ctx.log(`  login latency: ${LOGIN_SAMPLES} sequential logins`);
  const loginLatency = await loginLatencyMs(rampart.origin, credentials);
  ctx.log(`  => login p50 ${loginLatency.p50} ms, p95 ${loginLatency.p95} ms`);

  return {
    name: `GET ${PATH} with a bearer JWT (plain HTTP)`,
    unit: 'requests/s',
    transport: 'http',
    response: { content_type: response.contentType, bytes: Buffer.byteLength(response.body) },
    rampart: { ...pair.rampart, log_level: logLevel, command: 'rampart serve --insecure-http' },
    baseline: pair.baseline,
    ratio: pair.ratio,
    cpu_ratio: pair.cpu_ratio,
    target: TARGET,
    meets_target: pair.ratio >= TARGET,
    login_latency_ms: { ...loginLatency, note: 'POST /api/v1/auth/login, one at a time: argon2id verify (19 MiB, 2 passes) + session + JWT' },
  };
}

async function login(origin: string, credentials: { username: string; password: string }): Promise<{ access_token: string }> {
  const res = await fetch(`${origin}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { access_token: string };
}

async function loginLatencyMs(origin: string, credentials: { username: string; password: string }) {
  const samples: number[] = [];
  for (let i = 0; i < LOGIN_SAMPLES; i++) {
    const started = performance.now();
    await login(origin, credentials);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => Math.round(samples[Math.max(0, Math.ceil(q * samples.length) - 1)] * 10) / 10;
  return { samples: samples.length, p50: at(0.5), p95: at(0.95), min: at(0), max: at(1) };
}

/**
 * GET /v1/policy/digest answered 304 (a device checking for a new policy bundle with If-None-Match, nothing
 * changed) beside a bare node:http server answering the same 304 with the same ETag, in the same run. Target:
 * 20,000 requests/s for Rampart on this machine (plain HTTP, one enrolled device, a stable and a canary bundle
 * live so the device's canary membership is decided on every request).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBare } from './lib/bare.js';
import { comparePair } from './lib/load.js';
import { startRampart, type RunningRampart } from './lib/rampart.js';
import type { Bench, BenchContext, BenchmarkResult } from './lib/types.js';

const PATH = '/v1/policy/digest';
const TARGET_RPS = 20_000;

export const bench: Bench = async (ctx) => [await ctx.scoped((scope) => digestPair(scope))];

async function adminApi(rampart: RunningRampart) {
  const password = readFileSync(join(rampart.dataDir, 'initial-admin-password'), 'utf8').split('\n')[0].trim();
  const raw = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(rampart.origin + path, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const { access_token: token } = await raw('POST', '/api/v1/auth/login', { username: 'admin', password });
  return { raw, call: (method: string, path: string, body?: unknown) => raw(method, path, body, { authorization: `Bearer ${token}` }) };
}

async function digestPair(ctx: BenchContext): Promise<BenchmarkResult> {
  const logLevel = ctx.settings.rampartLogLevel;
  ctx.log(`GET ${PATH} answered 304: starting Rampart (log level ${logLevel}) and the bare node:http server`);
  const rampart = await startRampart(ctx, { insecureHttp: true, logLevel, readyPath: '/api/v1/health' });
  const api = await adminApi(rampart);
  const destinations = [{ cidr: '10.233.1.0/24', protocol: 'tcp', ports: ['443'] }];
  const { group } = await api.call('POST', '/v1/admin/groups/lifecycle', { action: 'create', name: 'bench-eng' });
  await api.call('POST', '/v1/admin/policy/publish', { channel: 'stable', rules: [{ name: 'web', sources: { group_ids: [group.id] }, destinations }] });
  await api.call('POST', '/v1/admin/policy/publish', { channel: 'canary', rules: [{ name: 'web-canary', sources: { group_ids: [group.id] }, destinations }], canary: { group_ids: [group.id], percent: 5 } });
  const token = await api.call('POST', '/v1/admin/tokens/generate', { name: 'bench', auto_group_ids: [group.id] });
  const wgKey = Buffer.alloc(32, 7).toString('base64');
  const { device_token } = await api.raw('POST', '/v1/enroll', { token: token.secret, public_key: wgKey, device: { name: 'bench', platform: 'linux' } });
  const auth = { authorization: `Bearer ${device_token}` };
  const first = await fetch(rampart.origin + PATH, { headers: auth });
  const etag = first.headers.get('etag');
  const body = await first.text();
  if (first.status !== 200 || !etag) throw new Error(`GET ${PATH} answered ${first.status} (etag ${etag}): ${body}`);
  if (JSON.parse(body).channel !== 'canary') throw new Error(`the bench device should be in the canary: ${body}`);
  const headers = { ...auth, 'if-none-match': etag };
  const check = await fetch(rampart.origin + PATH, { headers });
  if (check.status !== 304) throw new Error(`a conditional GET answered ${check.status}, not 304`);

  const bare = await startBare(ctx, { path: PATH, response: { contentType: 'application/json; charset=utf-8', body, status: 304, headers: { etag } } });
  const pair = await comparePair(
    ctx,
    {
      baseline: { server: 'bare node:http', url: bare.origin + PATH, pid: bare.child.pid },
      rampart: { server: 'rampart', url: rampart.origin + PATH, pid: rampart.child.pid, metricsUrl: rampart.metricsUrl },
    },
    { headers },
  );
  const not304 = pair.rampart.requests - ((pair.rampart.status_codes as Record<string, number>)['304'] ?? 0);
  if (not304 > 0 || pair.rampart.errors > 0) throw new Error(`${not304} answers were not 304 (${pair.rampart.errors} errors): the figure means nothing`);
  ctx.log(`  => rampart ${pair.rampart.requests_per_s} req/s vs bare ${pair.baseline.requests_per_s} req/s: ratio ${pair.ratio} (target ${TARGET_RPS} req/s)`);
  return {
    name: `GET ${PATH} with If-None-Match, unchanged (304, plain HTTP), one canary device`,
    unit: 'requests/s',
    transport: 'http',
    rampart: { ...pair.rampart, log_level: logLevel, command: 'rampart serve --insecure-http' },
    baseline: pair.baseline,
    ratio: pair.ratio,
    cpu_ratio: pair.cpu_ratio,
    target_requests_per_s: TARGET_RPS,
    meets_target: pair.rampart.requests_per_s >= TARGET_RPS,
  };
}

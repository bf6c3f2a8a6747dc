/**
 * Admission-grant checks per second at the control plane with its cache warm: a gateway asking
 * GET /v1/gateway/runtime/client-admission-grant for an enrolled, allowed device again and again (what a gateway
 * does for every admitted device after each push), beside GET /api/v1/health on the same Rampart process in the
 * same run (the baseline: the cheapest route it serves). Through the real CLI on SQLite, over plain HTTP; the
 * device, its SPC, the bundle allowing it and the gateway are made through the API as an operator would.
 */
import { readFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { comparePair } from './lib/load.js';
import { startRampart, type RunningRampart } from './lib/rampart.js';
import type { Bench, BenchContext, BenchmarkResult } from './lib/types.js';

const HEALTH = '/api/v1/health';

export const bench: Bench = async (ctx) => [await ctx.scoped((scope) => grantPair(scope))];

type Call = <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<T>;

async function apiOf(rampart: RunningRampart): Promise<{ call: Call; anonymous: Call }> {
  const password = readFileSync(join(rampart.dataDir, 'initial-admin-password'), 'utf8').split('\n')[0].trim();
  const anonymous: Call = async (method, path, body, headers = {}) => {
    const res = await fetch(rampart.origin + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const { access_token: token } = await anonymous('POST', '/api/v1/auth/login', { username: 'admin', password });
  return { anonymous, call: (method, path, body, headers) => anonymous(method, path, body, { authorization: `Bearer ${token}`, ...headers }) };
}

const wgPublicKey = () => (generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(-32).toString('base64');

/** A pool, a gateway in it, a device allowed one destination through it: the grant URL and the gateway's bearer. */
async function seedAllowedDevice(api: { call: Call; anonymous: Call }) {
  const pool = await api.call('POST', '/v1/admin/settings/gateway-pools', { name: 'bench', region: 'lab', destinations: ['10.233.0.0/16'] });
  const gatewayToken = await api.call('POST', '/v1/admin/tokens/generate', { kind: 'gateway', pool_id: pool.id });
  const gateway = await api.anonymous('POST', '/v1/gateway/enroll', { token: gatewayToken.secret, public_key: wgPublicKey(), endpoint: '10.233.0.1:51820', name: 'bench-gw' });
  const deviceToken = await api.call('POST', '/v1/admin/tokens/generate', {});
  const publicKey = wgPublicKey();
  const device = await api.anonymous('POST', '/v1/enroll', { token: deviceToken.secret, public_key: publicKey, device: { name: 'bench-laptop', platform: 'linux' } });
  await api.call('POST', '/v1/admin/policy/publish', {
    channel: 'stable',
    rules: [{ name: 'bench', sources: { device_ids: [device.device_id] }, destinations: [{ cidr: '10.233.1.0/24', protocol: 'tcp', ports: ['8080'] }] }],
  });
  const path = `/v1/gateway/runtime/client-admission-grant?device_id=${device.device_id}&public_key=${encodeURIComponent(publicKey)}`;
  const headers = { authorization: `Bearer ${gateway.gateway_token}` };
  const grant = await api.anonymous('GET', path, undefined, headers);
  if (!grant.allow) throw new Error(`the seeded device is not admitted: ${JSON.stringify(grant)}`);
  return { path, headers, grant };
}

async function grantPair(ctx: BenchContext): Promise<BenchmarkResult> {
  const logLevel = ctx.settings.rampartLogLevel;
  ctx.log('admission grants: starting Rampart and seeding a pool, a gateway and an allowed device');
  const rampart = await startRampart(ctx, { insecureHttp: true, logLevel, readyPath: HEALTH, readyTimeoutMs: 180_000 });
  const api = await apiOf(rampart);
  const seeded = await seedAllowedDevice(api);
  const grantUrl = rampart.origin + seeded.path;
  const healthUrl = rampart.origin + HEALTH;
  const pair = await comparePair(
    ctx,
    {
      baseline: { server: 'rampart GET /api/v1/health', url: healthUrl, pid: rampart.child.pid, metricsUrl: rampart.metricsUrl },
      rampart: { server: 'rampart admission grant', url: grantUrl, pid: rampart.child.pid, metricsUrl: rampart.metricsUrl },
    },
    // Only the grant carries the gateway's bearer: on the health route a credential would cost a lookup.
    { requestsFor: (target) => [target.url === grantUrl ? { method: 'GET', path: seeded.path, headers: seeded.headers } : { method: 'GET', path: HEALTH }] },
  );
  const not200 = pair.rampart.requests - ((pair.rampart.status_codes as Record<string, number>)['200'] ?? 0);
  if (not200 > 0 || pair.rampart.errors > 0) throw new Error(`${not200} grant answers were not 200 (${pair.rampart.errors} errors): the figure means nothing`);
  ctx.log(`  => ${pair.rampart.requests_per_s} grants/s vs health ${pair.baseline.requests_per_s} req/s: ratio ${pair.ratio}`);
  return {
    name: 'GET /v1/gateway/runtime/client-admission-grant, an allowed device, cache warm (plain HTTP)',
    unit: 'requests/s',
    transport: 'http',
    rampart: { ...pair.rampart, log_level: logLevel, command: 'rampart serve --insecure-http' },
    baseline: pair.baseline,
    ratio: pair.ratio,
    cpu_ratio: pair.cpu_ratio,
    grant: { allow: seeded.grant.allow, destinations: seeded.grant.destinations.length, expires_at: seeded.grant.expires_at },
  };
}

/**
 * The overlay's scale figures, through the real CLI on SQLite:
 * - GET /api/device/config answered 304 (a device polling with If-None-Match, nothing changed, the tag bare as
 *   Nebula Commander's ncclient sends it) beside a bare node:http server answering the same 304: target at
 *   least 0.45 of it with one device.
 * - The same with a fleet of 50,000 enrolled devices (BENCH_OVERLAY_FLEET) polling in random order, each with
 *   its own token and ETag: target at least 0.25 of the bare server. Seeded in process through the overlay's
 *   service layer (bench/lib/overlay-fleet.ts); every poll goes through the real HTTP server. The cold start is
 *   reported apart: the first pass over every device (each one a cache miss, and each device's first poll, which
 *   also writes first_polled_at and last_seen), then a pass after a restart with the ETags the devices hold,
 *   each with the server's CPU per miss (from /proc).
 * - Creating 10,000 nodes in one network through POST /api/certificates/create (IP allocation, a keypair, a
 *   signed certificate, the sealed key, an audit row each): time and the server's peak memory, beside what the
 *   same 10,000 certificates cost Nebula Commander's way, one `nebula-cert sign` process each (extrapolated from
 *   a sample), and beside the server's memory before the run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBare } from './lib/bare.js';
import { comparePair } from './lib/load.js';
import { seedFleet, type SeededDevice } from './lib/overlay-fleet.js';
import { cpuSeconds } from './lib/processes.js';
import { findProgram } from '../test/helpers/e2e.js';
import { startRampart, type RunningRampart } from './lib/rampart.js';
import type { Bench, BenchContext, BenchmarkResult } from './lib/types.js';

const CONFIG_PATH = '/api/device/config';
const ONE_DEVICE_TARGET = 0.45;
const FLEET_TARGET = 0.25;
const FLEET = Number(process.env.BENCH_OVERLAY_FLEET ?? 50_000);
const COLD_CONCURRENCY = 32;
const PROGRESS_EVERY_MS = 30_000;
/** Starting (tsx compiles at run time) on a loaded machine may take longer than the default readiness wait. */
const RESTART_TIMEOUT_MS = 180_000;
const NODES = Number(process.env.BENCH_OVERLAY_NODES ?? 10_000);
const CREATE_CONCURRENCY = 4;
const CLI_SAMPLE = 20;

/** Which parts run (BENCH_OVERLAY_PARTS, comma-separated): one-device polling, the fleet, the 10,000 creates. */
const PARTS = new Set((process.env.BENCH_OVERLAY_PARTS ?? 'poll,fleet,nodes').split(',').map((p) => p.trim()));

export const bench: Bench = async (ctx) => [
  ...(PARTS.has('poll') ? [await ctx.scoped((scope) => deviceConfigPair(scope))] : []),
  ...(PARTS.has('fleet') ? [await ctx.scoped((scope) => fleetPolling(scope))] : []),
  ...(PARTS.has('nodes') ? [await ctx.scoped((scope) => tenThousandNodes(scope))] : []),
];

interface Api {
  call<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

async function adminApi(rampart: RunningRampart): Promise<Api> {
  const password = readFileSync(join(rampart.dataDir, 'initial-admin-password'), 'utf8').split('\n')[0].trim();
  const raw = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(rampart.origin + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const { access_token: token } = await raw('POST', '/api/v1/auth/login', { username: 'admin', password });
  return { call: (method, path, body, headers) => raw(method, path, body, { authorization: `Bearer ${token}`, ...headers }) };
}

async function deviceConfigPair(ctx: BenchContext): Promise<BenchmarkResult> {
  const logLevel = ctx.settings.rampartLogLevel;
  ctx.log(`GET ${CONFIG_PATH} answered 304: starting Rampart (log level ${logLevel}) and the bare node:http server`);
  const rampart = await startRampart(ctx, { insecureHttp: true, logLevel, readyPath: '/api/health', readyTimeoutMs: RESTART_TIMEOUT_MS });
  const api = await adminApi(rampart);
  const network = await api.call('POST', '/api/networks', { name: 'bench', subnet_cidr: '10.64.0.0/16' });
  const node = await api.call('POST', '/api/certificates/create', { network_id: network.id, name: 'lighthouse', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
  const { code } = await api.call('POST', '/api/device/enrollment-codes', { node_id: node.node_id });
  const { device_token } = await api.call('POST', '/api/device/enroll', { code });
  const first = await fetch(rampart.origin + CONFIG_PATH, { headers: { authorization: `Bearer ${device_token}` } });
  const etag = first.headers.get('etag');
  const yaml = await first.text();
  if (first.status !== 200 || !etag) throw new Error(`GET ${CONFIG_PATH} answered ${first.status} (etag ${etag}): ${yaml}`);
  // As ncclient sends it: the ETag it got with the quotes stripped (Rampart compares entity tags as RFC 9110 says).
  const headers = { authorization: `Bearer ${device_token}`, 'if-none-match': etag.replace(/"/g, '') };
  const check = await fetch(rampart.origin + CONFIG_PATH, { headers });
  if (check.status !== 304) throw new Error(`a conditional GET answered ${check.status}, not 304`);

  const bare = await startBare(ctx, { path: CONFIG_PATH, response: { contentType: 'application/yaml', body: yaml, status: 304, headers: { etag } } });
  const pair = await comparePair(
    ctx,
    {
      baseline: { server: 'bare node:http', url: bare.origin + CONFIG_PATH, pid: bare.child.pid },
      rampart: { server: 'rampart', url: rampart.origin + CONFIG_PATH, pid: rampart.child.pid },
    },
    { headers },
  );
  const not304 = pair.rampart.requests - ((pair.rampart.status_codes as Record<string, number>)['304'] ?? 0);
  if (not304 > 0 || pair.rampart.errors > 0) throw new Error(`${not304} answers were not 304 (${pair.rampart.errors} errors): the figure means nothing`);
  ctx.log(`  => rampart ${pair.rampart.requests_per_s} req/s vs bare ${pair.baseline.requests_per_s} req/s: ratio ${pair.ratio} (target ${ONE_DEVICE_TARGET})`);
  return {
    name: `GET ${CONFIG_PATH} with If-None-Match as ncclient sends it (bare tag), unchanged (304, plain HTTP), one device`,
    unit: 'requests/s',
    transport: 'http',
    rampart: { ...pair.rampart, log_level: logLevel, command: 'rampart serve --insecure-http' },
    baseline: pair.baseline,
    ratio: pair.ratio,
    cpu_ratio: pair.cpu_ratio,
    target: ONE_DEVICE_TARGET,
    meets_target: pair.ratio >= ONE_DEVICE_TARGET,
    devices_polling_once_a_minute: pair.rampart.requests_per_s * 60,
  };
}

interface FleetDevice extends SeededDevice {
  etag?: string;
}

/** Fisher-Yates, so each pass visits every device once in its own random order. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * One poll of every device in random order, COLD_CONCURRENCY at a time, each sending the ETag it holds (if any);
 * every answer must be `expect`. Returns the pass's rate and the server's CPU per poll (each one a cache miss
 * when the server's caches are cold).
 */
async function pollEveryDevice(ctx: BenchContext, rampart: RunningRampart, devices: FleetDevice[], expect: number) {
  const order = shuffled(devices);
  let next = 0;
  // A cold pass over 50,000 devices takes minutes on a loaded machine: say how far it got.
  const progress = setInterval(() => ctx.log(`    ${next}/${order.length} polled`), PROGRESS_EVERY_MS);
  const cpu0 = cpuSeconds(rampart.child.pid);
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < order.length) {
      const device = order[next++];
      const res = await fetch(rampart.origin + CONFIG_PATH, {
        headers: { authorization: `Bearer ${device.token}`, ...(device.etag ? { 'if-none-match': device.etag.replace(/"/g, '') } : {}) },
      });
      await res.arrayBuffer();
      if (res.status !== expect) throw new Error(`device ${device.nodeId} polled ${res.status}, not ${expect}`);
      device.etag = res.headers.get('etag') ?? undefined;
    }
  };
  await Promise.all(Array.from({ length: COLD_CONCURRENCY }, worker)).finally(() => clearInterval(progress));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = (cpuSeconds(rampart.child.pid) ?? NaN) - (cpu0 ?? NaN);
  return { polls: order.length, measured_s: Math.round(seconds * 10) / 10, per_s: Math.round(order.length / seconds), server_cpu_us_per_miss: Math.round((cpu / order.length) * 1e6) };
}

async function fleetPolling(ctx: BenchContext): Promise<BenchmarkResult> {
  const logLevel = ctx.settings.rampartLogLevel;
  ctx.log(`GET ${CONFIG_PATH} answered 304 to ${FLEET} devices polling in random order`);
  const first = await startRampart(ctx, { insecureHttp: true, logLevel, readyPath: '/api/health', readyTimeoutMs: RESTART_TIMEOUT_MS });
  const api = await adminApi(first);
  const network = await api.call('POST', '/api/networks', { name: 'fleet', subnet_cidr: '10.64.0.0/12' });
  await api.call('POST', '/api/certificates/create', { network_id: network.id, name: 'lighthouse', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
  await api.call('POST', '/api/certificates/create', { network_id: network.id, name: 'relay', is_relay: true, public_endpoint: '192.0.2.2:4242' });
  await api.call('PUT', `/api/networks/${network.id}/group-firewall/web`, { inbound_rules: [{ allowed_group: 'any', protocol: 'tcp', port_range: '443' }] });
  await first.child.stop();

  const seedStarted = process.hrtime.bigint();
  const devices: FleetDevice[] = await seedFleet(first.dataDir, network.id, FLEET);
  const seedS = Math.round(Number(process.hrtime.bigint() - seedStarted) / 1e8) / 10;
  ctx.log(`  seeded ${FLEET} enrolled devices in ${seedS} s`);

  let rampart = await startRampart(ctx, { insecureHttp: true, logLevel, readyPath: '/api/health', dataDir: first.dataDir, readyTimeoutMs: RESTART_TIMEOUT_MS });
  const firstPass = await pollEveryDevice(ctx, rampart, devices, 200);
  ctx.log(`  cold, first poll of each device (200): ${firstPass.per_s} polls/s, ${firstPass.server_cpu_us_per_miss} µs server CPU per miss`);
  await rampart.child.stop();
  rampart = await startRampart(ctx, { insecureHttp: true, logLevel, readyPath: '/api/health', dataDir: first.dataDir, readyTimeoutMs: RESTART_TIMEOUT_MS });
  const restartPass = await pollEveryDevice(ctx, rampart, devices, 304);
  ctx.log(`  cold after a restart, devices holding their ETags (304): ${restartPass.per_s} polls/s, ${restartPass.server_cpu_us_per_miss} µs server CPU per miss`);

  const bare = await startBare(ctx, { path: CONFIG_PATH, response: { contentType: 'application/yaml', body: 'unchanged', status: 304, headers: { etag: devices[0].etag! } } });
  const request = {
    requests: [{
      method: 'GET',
      path: CONFIG_PATH,
      setupRequest: (req: any) => {
        const device = devices[Math.floor(Math.random() * devices.length)];
        return { ...req, headers: { authorization: `Bearer ${device.token}`, 'if-none-match': device.etag!.replace(/"/g, '') } };
      },
    }],
  };
  const pair = await comparePair(
    ctx,
    {
      baseline: { server: 'bare node:http', url: bare.origin + CONFIG_PATH, pid: bare.child.pid },
      rampart: { server: 'rampart', url: rampart.origin + CONFIG_PATH, pid: rampart.child.pid },
    },
    request,
  );
  const not304 = pair.rampart.requests - ((pair.rampart.status_codes as Record<string, number>)['304'] ?? 0);
  if (not304 > 0 || pair.rampart.errors > 0) throw new Error(`${not304} answers were not 304 (${pair.rampart.errors} errors): the figure means nothing`);
  ctx.log(`  => warm: rampart ${pair.rampart.requests_per_s} req/s vs bare ${pair.baseline.requests_per_s} req/s: ratio ${pair.ratio} (target ${FLEET_TARGET})`);
  return {
    name: `GET ${CONFIG_PATH} answered 304, ${FLEET} enrolled devices polling in random order (own token and ETag each, plain HTTP)`,
    unit: 'requests/s',
    transport: 'http',
    rampart: { ...pair.rampart, log_level: logLevel, command: 'rampart serve --insecure-http' },
    baseline: pair.baseline,
    ratio: pair.ratio,
    cpu_ratio: pair.cpu_ratio,
    target: FLEET_TARGET,
    meets_target: pair.ratio >= FLEET_TARGET,
    devices: FLEET,
    seeding_s: seedS,
    cold_first_poll_of_each_device: firstPass,
    cold_after_restart_with_etags: restartPass,
    devices_polling_once_a_minute: pair.rampart.requests_per_s * 60,
  };
}

/** Peak and current resident memory of a process, from /proc (MiB). */
function memoryMib(pid: number): { peak: number; current: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { peak: Math.round(kib('VmHWM') / 1024), current: Math.round(kib('VmRSS') / 1024) };
}

async function tenThousandNodes(ctx: BenchContext): Promise<BenchmarkResult> {
  ctx.log(`creating ${NODES} nodes in one network through POST /api/certificates/create (${CREATE_CONCURRENCY} at a time)`);
  const rampart = await startRampart(ctx, { insecureHttp: true, logLevel: ctx.settings.rampartLogLevel, readyPath: '/api/health', readyTimeoutMs: RESTART_TIMEOUT_MS });
  const api = await adminApi(rampart);
  const network = await api.call('POST', '/api/networks', { name: 'scale', subnet_cidr: '10.128.0.0/12' });
  await api.call('POST', '/api/certificates/create', { network_id: network.id, name: 'lighthouse', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
  const before = memoryMib(rampart.child.pid);

  let next = 1;
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < NODES) {
      const i = next++;
      await api.call('POST', '/api/certificates/create', { network_id: network.id, name: `node-${i}`, group: i % 2 ? 'web' : 'db' });
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = memoryMib(rampart.child.pid);
  const listed = await api.call<unknown[]>('GET', `/api/nodes?network_id=${network.id}`);
  if (listed.length !== NODES) throw new Error(`${listed.length} nodes listed, ${NODES} expected`);
  ctx.log(`  => ${NODES} nodes in ${seconds.toFixed(1)} s (${Math.round(NODES / seconds)}/s), peak RSS ${after.peak} MiB (before: ${before.current} MiB)`);

  const cli = nebulaCertSeconds(ctx);
  const perSecond = Math.round((NODES / seconds) * 10) / 10;
  return {
    name: `creating ${NODES} nodes in one network (POST /api/certificates/create, ${CREATE_CONCURRENCY} concurrent)`,
    unit: 'nodes/s',
    rampart: { what: 'rampart, over HTTP: IPAM, keypair, signing, sealed key, audit row', operations: NODES, measured_s: Math.round(seconds * 10) / 10, per_s: perSecond },
    baseline: cli
      ? { what: `nebula-cert sign, one process per certificate (${CLI_SAMPLE} timed, extrapolated to ${NODES}); signing alone`, operations: NODES, measured_s: Math.round(cli * NODES * 10) / 10, per_s: Math.round(10 / cli) / 10 }
      : { what: 'nebula-cert not installed', operations: 0, measured_s: 0, per_s: 0 },
    ratio: cli ? Math.round(perSecond * cli * 10) / 10 : 0,
    memory_mib: { rss_before: before.current, rss_after: after.current, peak_rss: after.peak, note: 'VmHWM of the server process over its life, VmRSS before and after' },
  };
}

/** Seconds per `nebula-cert sign` invocation, or undefined when nebula-cert is missing. */
function nebulaCertSeconds(ctx: BenchContext): number | undefined {
  if (!findProgram('nebula-cert')) return undefined;
  const dir = ctx.tmpDir('rampart-bench-overlay-');
  execFileSync('nebula-cert', ['ca', '-name', 'bench', '-out-crt', join(dir, 'ca.crt'), '-out-key', join(dir, 'ca.key')], { stdio: 'ignore' });
  execFileSync('nebula-cert', ['keygen', '-out-key', join(dir, 'h.key'), '-out-pub', join(dir, 'h.pub')], { stdio: 'ignore' });
  const started = process.hrtime.bigint();
  for (let i = 0; i < CLI_SAMPLE; i++) {
    execFileSync('nebula-cert', ['sign', '-name', `n${i}`, '-ip', `10.128.0.${i + 2}/12`, '-in-pub', join(dir, 'h.pub'), '-ca-crt', join(dir, 'ca.crt'), '-ca-key', join(dir, 'ca.key'), '-out-crt', join(dir, `n${i}.crt`)], { stdio: 'ignore' });
  }
  return Number(process.hrtime.bigint() - started) / 1e9 / CLI_SAMPLE;
}

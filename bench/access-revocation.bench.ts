/**
 * Revocation latency of the access data path, from the API call to the dropped packet: the whole lab of the e2e
 * test (test/helpers/ztna-lab.ts: Rampart, `rampart agent gateway`, `rampart agent device` over wireguard-go in
 * network namespaces on 10.231.0.0/16). A device is enrolled and admitted, a TCP prober in its namespace connects
 * to the resource every 20 ms, and POST /v1/admin/devices/lifecycle {action: revoke} is timed to the first
 * attempt that fails; 20 devices (BENCH_ACCESS_REVOCATIONS), p50 and p95. The target: 2 s with the push.
 *
 * Baseline, measured in the same run with the same prober: the gateway's WireGuard peer removed directly
 * (`wg set <if> peer <key> remove` in its namespace) and put back, 20 times: the floor of this measurement,
 * without the control plane, the push or the agent. Needs root and wireguard-go/wg/nft/conntrack; left out
 * otherwise.
 */
import { findProgram } from '../test/helpers/e2e.js';
import { waitFor } from '../test/helpers/wait.js';
import { PROGRAMS, ZtnaLab } from '../test/helpers/ztna-lab.js';
import type { Bench, BenchContext, BenchmarkResult, FigureResult } from './lib/types.js';

const REVOCATIONS = Number(process.env.BENCH_ACCESS_REVOCATIONS ?? 20);
const TARGET_MS = 2_000;
const PORT = 8080;

export const bench: Bench = async (ctx) => {
  const missing = PROGRAMS.filter((p) => !findProgram(p));
  if (process.getuid?.() !== 0 || missing.length) {
    ctx.log(`access revocation latency left out: needs root and ${missing.join(', ') || 'network namespaces'}`);
    return [];
  }
  return ctx.scoped((scope) => revocations(scope));
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Starts the prober on an admitted device and times `cut` to its first failed attempt. */
async function timeCut(z: ZtnaLab, cut: () => Promise<unknown>): Promise<number> {
  const prober = z.lab.startProber('deviceA', PORT);
  try {
    await waitFor('the prober to connect', () => prober.lastSuccessSince(Date.now() - 500), 30_000);
    const start = Date.now();
    await cut();
    const failed = await waitFor('the traffic to stop', () => prober.cutSince(start), 30_000);
    return failed - start;
  } finally {
    prober.stop();
  }
}

async function revocations(ctx: BenchContext): Promise<BenchmarkResult[]> {
  ctx.log('access revocation: starting the lab (control plane, gateway agent)');
  const z = await ZtnaLab.start({ gatewayPollS: 30 });
  ctx.defer(() => z.destroy());
  const eng = (await z.api('POST', '/v1/admin/groups/lifecycle', { action: 'create', name: 'bench' })).group.id;
  await z.api('POST', '/v1/admin/policy/publish', { channel: 'stable', rules: [{ name: 'bench', sources: { group_ids: [eng] }, destinations: [{ cidr: '10.231.2.2/32', protocol: 'tcp', ports: [String(PORT)] }] }] });

  const viaApi: number[] = [];
  for (let i = 1; i <= REVOCATIONS; i++) {
    const device = await z.startDevice('deviceA', `bench-${i}`, { auto_group_ids: [eng] });
    await waitFor(`device ${i} to be admitted`, () => z.lab.reaches('deviceA', PORT, 1), 60_000, 100);
    viaApi.push(await timeCut(z, () => z.api('POST', '/v1/admin/devices/lifecycle', { action: 'revoke', device_id: device.device_id, reason: 'bench' })));
    await device.stop();
    ctx.log(`  revocation ${i}/${REVOCATIONS}: ${viaApi.at(-1)} ms`);
  }

  const device = await z.startDevice('deviceA', 'bench-baseline', { auto_group_ids: [eng] });
  await waitFor('the baseline device to be admitted', () => z.lab.reaches('deviceA', PORT, 1), 60_000, 100);
  const peerOf = (role: 'gateway' | 'deviceA') => z.lab.exec(role, 'wg', ['show', z.lab.ifname(role), 'dump']).stdout.trim().split('\n')[1].split('\t');
  const [deviceKey, , , deviceIps] = peerOf('gateway');
  const [gatewayKey, , gatewayEndpoint, gatewayIps] = peerOf('deviceA');
  const direct: number[] = [];
  for (let i = 1; i <= REVOCATIONS; i++) {
    direct.push(await timeCut(z, () => z.lab.runner('gateway').run('wg', ['set', z.lab.ifname('gateway'), 'peer', deviceKey, 'remove'])));
    // Put both ends back: the device's side forgets its session too, so the next packet makes a new handshake.
    z.lab.exec('gateway', 'wg', ['set', z.lab.ifname('gateway'), 'peer', deviceKey, 'allowed-ips', deviceIps]);
    z.lab.exec('deviceA', 'wg', ['set', z.lab.ifname('deviceA'), 'peer', gatewayKey, 'remove']);
    z.lab.exec('deviceA', 'wg', ['set', z.lab.ifname('deviceA'), 'peer', gatewayKey, 'allowed-ips', gatewayIps, 'endpoint', gatewayEndpoint, 'persistent-keepalive', '25']);
    await waitFor('the peer to carry traffic again', () => z.lab.reaches('deviceA', PORT, 1), 30_000, 50);
  }
  await device.stop();

  const summary = (samples: number[]) => {
    const sorted = [...samples].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1)!, samples: sorted.length };
  };
  const api = summary(viaApi);
  const floor = summary(direct);
  ctx.log(`  => revocation via the API p50 ${api.p50} ms, p95 ${api.p95} ms (target ${TARGET_MS} ms); peer removed at the gateway directly p50 ${floor.p50} ms, p95 ${floor.p95} ms`);
  const figure = (what: string, s: ReturnType<typeof summary>, p: 'p50' | 'p95'): FigureResult => ({ what, value: s[p], p50_ms: s.p50, p95_ms: s.p95, max_ms: s.max, samples: s.samples });
  const api_what = 'POST /v1/admin/devices/lifecycle revoke to the first refused connection (change push, gateway agent, wireguard-go)';
  const floor_what = 'the gateway\'s WireGuard peer removed directly (wg set ... remove), same prober';
  return (['p50', 'p95'] as const).map((p) => ({
    name: `access_revocation_latency_${p}`,
    unit: 'ms',
    rampart: figure(api_what, api, p),
    baseline: figure(floor_what, floor, p),
    ratio: Math.round((api[p] / Math.max(1, floor[p])) * 100) / 100,
    target: TARGET_MS,
    meets_target: api[p] <= TARGET_MS,
  }));
}

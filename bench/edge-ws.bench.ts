/**
 * The edge metrics WebSocket fan-out: 200 clients on GET /api/v1/ws of a real `rampart serve`, the server's CPU per
 * one-second tick (from /proc), beside the same server with no client connected (what the producer costs alone)
 * and a floor: a bare process that stringifies the same payload once per tick and writes it as one WebSocket frame
 * to 200 raw sockets. Rounds alternate ABBA. The one-producer design shows as the 200-client cost staying close to
 * the floor plus the idle producer, instead of 200 samplings per second.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startRampart, repoRoot } from './lib/rampart.js';
import { cpuSeconds, freePort, spawnChild } from './lib/processes.js';
import type { Bench, BenchContext, BenchmarkResult } from './lib/types.js';

const CLIENTS = Number(process.env.BENCH_EDGE_WS_CLIENTS ?? 200);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const bench: Bench = async (ctx) => [await ctx.scoped((scope) => fanOut(scope))];

async function fanOut(ctx: BenchContext): Promise<BenchmarkResult> {
  const rampart = await startRampart(ctx, { insecureHttp: true, logLevel: ctx.settings.rampartLogLevel, readyPath: '/api/v1/health' });
  const password = readFileSync(join(rampart.dataDir, 'initial-admin-password'), 'utf8').split('\n')[0]!.trim();
  const login = await fetch(`${rampart.origin}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  const token = ((await login.json()) as { access_token: string }).access_token;
  const wsUrl = `${rampart.origin.replace(/^http/, 'ws')}/api/v1/ws`;

  // Rampart's clients, opened with a bearer header (a browser would bring a ticket each).
  let sample = null as string | null;
  let received = 0;
  const open = () =>
    new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
      ws.on('message', (m) => {
        received++;
        const text = String(m);
        if (!sample && text.startsWith('{"type":"status_update"')) sample = text;
      });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  const clients: WebSocket[] = [];
  const connectAll = async () => {
    for (let i = 0; i < CLIENTS; i++) clients.push(await open());
  };
  const closeAll = async () => {
    for (const ws of clients.splice(0)) ws.close();
    await sleep(500);
  };

  // The floor process, fed one real update.
  await connectAll();
  while (!sample) await sleep(100);
  await closeAll();
  const dir = ctx.tmpDir('rampart-bench-edge-ws-');
  const payloadFile = join(dir, 'payload.json');
  const { type: _type, ...payload } = JSON.parse(sample) as Record<string, unknown>;
  writeFileSync(payloadFile, JSON.stringify(payload));
  const port = await freePort();
  const floor = spawnChild('ws-floor', [join(repoRoot, 'bench/lib/ws-fanout-baseline.cjs'), payloadFile, String(port)], { cwd: repoRoot, env: {}, logDir: dir });
  ctx.defer(() => floor.stop());
  for (let tries = 0; !floor.tail().includes('listening'); tries++) {
    if (tries > 100 || floor.exited()) throw new Error(`the floor process did not start:\n${floor.tail()}`);
    await sleep(100);
  }
  const raw: net.Socket[] = [];
  const floorConnect = async () => {
    for (let i = 0; i < CLIENTS; i++) {
      raw.push(await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.on('data', () => undefined);
        s.once('error', reject);
      }));
    }
  };

  // /proc counts CPU in 10 ms ticks: 10 s per figure resolves 1 ms per tick.
  const seconds = Math.max(10, ctx.settings.durationS);
  const measure = async (pid: number) => {
    const before = cpuSeconds(pid)!;
    await sleep(seconds * 1000);
    return ((cpuSeconds(pid)! - before) / seconds) * 1e6; // µs per 1 s tick
  };
  const figures = { with_clients: [] as number[], idle: [] as number[], floor: [] as number[] };
  await floorConnect();
  for (let round = 0; round < ctx.settings.rounds; round++) {
    ctx.log(`  round ${round + 1}: floor, ${CLIENTS} clients, idle`);
    figures.floor.push(await measure(floor.pid));
    await connectAll();
    await sleep(1500);
    received = 0;
    figures.with_clients.push(await measure(rampart.child.pid));
    const perClient = received / CLIENTS / seconds;
    ctx.log(`    updates per client per second: ${perClient.toFixed(2)}`);
    await closeAll();
    figures.idle.push(await measure(rampart.child.pid));
  }
  for (const s of raw) s.destroy();
  const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
  const withClients = mean(figures.with_clients);
  const idle = mean(figures.idle);
  const fanout = Math.max(0, withClients - idle);
  const floorUs = mean(figures.floor);
  ctx.log(`  => ${CLIENTS} clients: ${withClients} µs CPU per tick (idle producer ${idle}, fan-out ${fanout}); floor ${floorUs} µs`);
  return {
    name: `edge metrics WebSocket fan-out to ${CLIENTS} clients (server CPU per 1 s tick)`,
    unit: 'µs CPU per tick',
    rampart: { what: `rampart serve, ${CLIENTS} sockets on /api/v1/ws`, value: withClients, idle_producer_us: idle, fanout_us: fanout, payload_bytes: (sample as string).length, rounds: figures },
    baseline: { what: `bare node: the same payload stringified once and written to ${CLIENTS} raw sockets`, value: floorUs },
    ratio: floorUs ? Math.round((fanout / floorUs) * 100) / 100 : 0,
    target: 2,
    meets_target: floorUs > 0 && fanout / floorUs <= 2,
  };
}

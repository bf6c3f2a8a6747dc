/**
 * The turn gate keeps a saturated server accepting new connections: Node 20 accepts one connection per event-loop
 * turn, so without it a turn that runs every ready request leaves new clients waiting in the accept queue.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { defineRoute } from '../../src/http/route.js';
import { createTurnGate } from '../../src/http/turn-gate.js';
import type { RampartModule } from '../../src/modules/module.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';

/** Requests the busy route has started, in order. */
let started = 0;
const BUSY_MS = 5;

const busyModule: RampartModule = {
  name: 'busy-probe',
  http: () => ({
    name: 'busy-probe',
    routes: [
      defineRoute({
        method: 'GET', path: '/api/v1/probe/busy', surface: 'fleet', permission: 'public', summary: 'CPU-bound work',
        schema: { response: z.object({ n: z.number() }) },
        handler: () => {
          const n = ++started;
          // Synchronous work, as a request that hashes, signs or renders does: it holds the event loop.
          const until = performance.now() + BUSY_MS;
          while (performance.now() < until);
          return { n };
        },
      }),
    ],
  }),
};

let r: TestRampart;
let port: number;
/** When each server-side socket was accepted, counted in busy requests started so far. */
const acceptedAt = new Map<number, number>();

before(async () => {
  r = await createTestRampart({ modules: [busyModule] });
  await r.app.listen({ host: '127.0.0.1', port: 0 });
  port = (r.app.server.address() as AddressInfo).port;
  r.app.server.on('connection', (socket: Socket) => acceptedAt.set(socket.remotePort!, started));
});
after(() => r?.cleanup());

function get(agent: Agent): Promise<{ status: number; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/probe/busy', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, localPort: req.socket!.localPort! }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a server kept busy by open connections accepts and answers new ones without waiting for all of them', async () => {
  const LOADERS = 30;
  const NEWCOMERS = 20;
  const loadAgent = new Agent({ keepAlive: true, maxSockets: LOADERS });
  let loading = true;
  const loaders = Array.from({ length: LOADERS }, async () => {
    while (loading) assert.equal((await get(loadAgent)).status, 200);
  });
  try {
    // Saturated: every loader connection is open and has been answered a few times.
    while (started < LOADERS * 3) await get(loadAgent);
    const opened = started;
    const newcomers = await Promise.all(Array.from({ length: NEWCOMERS }, () => get(new Agent({ keepAlive: false }))));
    assert.ok(newcomers.every((n) => n.status === 200));
    const accepts = newcomers.map((n) => acceptedAt.get(n.localPort)! - opened);
    const lastAnswered = started - opened;
    // Ungated, each turn runs all 30 loaders' requests and accepts one newcomer: the twentieth waits some 600 requests.
    assert.ok(Math.max(...accepts) < 2 * NEWCOMERS, `newcomers accepted after ${accepts.join(', ')} other requests`);
    assert.ok(lastAnswered < 10 * NEWCOMERS, `the last newcomer was answered after ${lastAnswered} requests`);
  } finally {
    loading = false;
    await Promise.all(loaders);
    loadAgent.destroy();
  }
});

test('the metrics listener shows how many requests wait for a turn', async () => {
  assert.match(await r.metrics.registry.metrics(), /^rampart_http_requests_waiting 0$/m);
});

test('on an idle server a request starts at once; under load requests start in arrival order', async () => {
  let clock = 0;
  const gate = createTurnGate({ budgetMs: 2, now: () => clock });
  const order: string[] = [];
  gate.admit(() => order.push('first'));
  assert.deepEqual(order, ['first'], 'started inline, not deferred');
  clock += 3; // the first request used up this turn's budget
  for (const name of ['a', 'b', 'c']) gate.admit(() => order.push(name));
  assert.equal(gate.waiting, 3);
  assert.deepEqual(order, ['first']);
  await new Promise((resolve) => setImmediate(resolve));
  while (gate.waiting > 0) await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ['first', 'a', 'b', 'c']);
});

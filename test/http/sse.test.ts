import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import pino from 'pino';
import { z } from 'zod';
import { createEventBus, type EventBus } from '../../src/core/events/event-bus.js';
import { defineRoute } from '../../src/http/route.js';
import { closeSseStreams, frame, openSseStream, streamEvents, type SseMessage, type SseStream } from '../../src/http/sse.js';
import type { RampartModule } from '../../src/modules/module.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { migratedDatabase } from '../helpers/db.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const limits = { timeout: 30_000 };

/** A real listening Rampart with one public SSE route, GET /test/events, streaming bus topics. */
async function startServer() {
  let bus!: EventBus;
  const opened: SseStream[] = [];
  const waiting: ((s: SseStream) => void)[] = [];
  const probe: RampartModule = {
    name: 'sse-probe',
    http(core) {
      bus = createEventBus({ db: core.db, logger: core.logger, nodeId: 'test-node' });
      const query = z.object({
        heartbeat_ms: z.coerce.number().optional(),
        max_bytes: z.coerce.number().optional(),
        retry_ms: z.coerce.number().optional(),
        topics: z.string().default('demo.*'),
      });
      return {
        name: 'sse-probe',
        routes: [
          defineRoute({
            method: 'GET', path: '/test/events', surface: 'fleet', summary: 'test event stream', permission: 'public',
            schema: { query },
            handler(ctx) {
              const q = ctx.query;
              const stream = openSseStream(ctx.raw, { heartbeatMs: q.heartbeat_ms, maxBufferedBytes: q.max_bytes, retryMs: q.retry_ms });
              streamEvents(bus, q.topics, stream);
              const waiter = waiting.shift();
              if (waiter) waiter(stream);
              else opened.push(stream);
            },
          }),
        ],
      };
    },
  };
  const rampart: TestRampart = await createTestRampart({ modules: [probe] });
  // What the lead wires into src/http/app.ts: open streams must not hold shutdown hostage.
  rampart.app.addHook('preClose', async () => closeSseStreams(rampart.app));
  await bus.start();
  await rampart.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = rampart.app.server.address() as AddressInfo;
  let closed = false;
  return {
    rampart,
    bus,
    port,
    /** The server side of the next stream the route opens. */
    nextStream: (): Promise<SseStream> => (opened.length ? Promise.resolve(opened.shift()!) : new Promise((r) => waiting.push(r))),
    async close() {
      if (closed) return;
      closed = true;
      await rampart.close();
    },
    async cleanup() {
      await this.close();
      await bus.close();
      await rampart.tdb.cleanup();
    },
  };
}

/** An HTTP client that keeps everything the stream sent and can wait for a condition on it. */
async function openClient(port: number, path: string, headers: Record<string, string> = {}) {
  const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  res.setEncoding('utf8');
  let text = '';
  const checks: (() => void)[] = [];
  res.on('data', (chunk: string) => {
    text += chunk;
    for (const check of [...checks]) check();
  });
  const ended = new Promise<void>((resolve) => res.on('close', resolve));
  return {
    res,
    ended,
    text: () => text,
    waitFor(pred: (text: string) => boolean): Promise<string> {
      return new Promise((resolve) => {
        const check = () => {
          if (!pred(text)) return;
          checks.splice(checks.indexOf(check), 1);
          resolve(text);
        };
        checks.push(check);
        check();
      });
    },
    close: () => req.destroy(),
  };
}

/** Splits a text/event-stream body into its messages (comments and retry lines left out). */
function messages(text: string) {
  return text
    .split('\n\n')
    .map((block) => block.split('\n').filter((l) => l && !l.startsWith(':') && !l.startsWith('retry:')))
    .filter((lines) => lines.length > 0)
    .map((lines) => {
      const get = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
      return { event: get('event'), id: get('id'), data: lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n') };
    });
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

test('an SSE client receives matching bus events and heartbeats, with the headers the reply already had', limits, async () => {
  const server = await startServer();
  try {
    const client = await openClient(server.port, '/test/events?heartbeat_ms=20&retry_ms=1500', { 'x-correlation-id': 'sse-test-1' });
    const stream = await server.nextStream();
    assert.equal(client.res.statusCode, 200);
    assert.equal(client.res.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(client.res.headers['cache-control'], 'no-cache');
    assert.equal(client.res.headers['x-accel-buffering'], 'no');
    assert.equal(client.res.headers['x-correlation-id'], 'sse-test-1');
    assert.equal(client.res.headers['x-content-type-options'], 'nosniff');
    assert.equal(client.res.headers['content-length'], undefined);

    const hello = await server.bus.publish('demo.hello', { n: 1, text: 'two\nlines' });
    await server.bus.publish('other.topic', { hidden: true });
    const bye = await server.bus.publish('demo.bye', 'just a string');
    const text = await client.waitFor((t) => t.includes('event: demo.bye') && count(t, ': heartbeat\n\n') >= 2);

    assert.ok(text.startsWith('retry: 1500\n\n'));
    assert.deepEqual(messages(text), [
      { event: 'demo.hello', id: hello.id, data: '{"n":1,"text":"two\\nlines"}' },
      { event: 'demo.bye', id: bye.id, data: '"just a string"' },
    ]);
    assert.match(hello.id, UUID);
    assert.equal(stream.closeReason, null);
    client.close();
    await stream.closed;
  } finally {
    await server.cleanup();
  }
});

test('a client that stops reading is dropped once over the buffer bound, and the server stays healthy', limits, async () => {
  const server = await startServer();
  const slow = connect({ host: '127.0.0.1', port: server.port });
  try {
    await once(slow, 'connect');
    slow.write('GET /test/events?max_bytes=262144&heartbeat_ms=60000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    slow.pause(); // never reads: the kernel buffers fill, then Node's
    const stream = await server.nextStream();

    const chunk = 'z'.repeat(64 * 1024);
    let accepted = 0;
    // Bounded so a broken limit fails the test instead of eating memory; the bound plus what the kernel takes is far less.
    while (accepted < 1000 && stream.send({ event: 'demo.bulk', data: chunk })) accepted++;

    assert.ok(accepted < 1000, 'the stream was dropped before the test gave up sending');
    await stream.closed;
    assert.equal(stream.closeReason, 'overflow');
    assert.equal(stream.send({ data: 'after the drop' }), false);

    // Other clients are unaffected.
    const healthy = await openClient(server.port, '/test/events');
    const other = await server.nextStream();
    const sent = await server.bus.publish('demo.still.working', {});
    await healthy.waitFor((t) => t.includes(`id: ${sent.id}`));
    healthy.close();
    await other.closed;
  } finally {
    slow.destroy();
    await server.cleanup();
  }
});

test('a client disconnecting ends the stream on the server and stops its heartbeat', limits, async () => {
  const server = await startServer();
  try {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const timersBefore = timers();
    const client = await openClient(server.port, '/test/events?heartbeat_ms=5');
    const stream = await server.nextStream();
    await client.waitFor((t) => t.includes(': heartbeat'));
    assert.equal(timers(), timersBefore + 1, 'the open stream has its heartbeat');
    client.close();
    await stream.closed;
    assert.equal(timers(), timersBefore, 'the heartbeat timer is gone');
    assert.equal(stream.closeReason, 'client');
    assert.equal(stream.send({ data: 'nobody listens' }), false);
  } finally {
    await server.cleanup();
  }
});

test('shutting the server down ends open streams instead of waiting for the clients', limits, async () => {
  const server = await startServer();
  try {
    const client = await openClient(server.port, '/test/events');
    const stream = await server.nextStream();
    await client.waitFor((t) => t.includes(': open'));
    await server.close();
    await client.ended;
    assert.equal(stream.closeReason, 'server');
  } finally {
    await server.cleanup();
  }
});

test('streamEvents forwards mapped events until the stream closes, then unsubscribes', limits, async () => {
  const tdb = await migratedDatabase();
  const bus = createEventBus({ db: tdb.db, logger: pino({ level: 'silent' }), nodeId: 'n1' });
  await bus.start();
  try {
    const sent: SseMessage[] = [];
    let end!: () => void;
    const fake: SseStream = {
      send(m) {
        sent.push(m);
        return true;
      },
      close: () => end(),
      closed: new Promise<void>((r) => (end = r)),
      closeReason: null,
    };
    const mapped: string[] = [];
    streamEvents(bus, 'access.*', fake, {
      map(e) {
        mapped.push(e.topic);
        return e.topic.endsWith('.secret') ? null : { event: 'change', data: { topic: e.topic } };
      },
    });
    await bus.publish('access.device.added', {});
    await bus.publish('access.key.secret', {});
    await bus.publish('fleet.host.added', {});
    fake.close();
    await fake.closed;
    await bus.publish('access.device.removed', {});

    assert.deepEqual(sent, [{ event: 'change', data: { topic: 'access.device.added' } }]);
    assert.deepEqual(mapped, ['access.device.added', 'access.key.secret'], 'no longer subscribed after close');
  } finally {
    await bus.close();
    await tdb.cleanup();
  }
});

test('frame writes the text/event-stream format and refuses line breaks in event and id', () => {
  assert.equal(frame({ event: 'x', id: '1', data: 'a\r\nb\nc' }), 'event: x\nid: 1\ndata: a\ndata: b\ndata: c\n\n');
  assert.equal(frame({ data: { a: 1 } }), 'data: {"a":1}\n\n');
  assert.throws(() => frame({ event: 'x\ndata: injected', data: '' }), TypeError);
  assert.throws(() => frame({ id: 'a\rb', data: '' }), TypeError);
});

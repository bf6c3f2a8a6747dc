import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import pino from 'pino';
import { createEventBus, type BusEvent, type EventBus, type EventBusOptions } from '../../src/core/events/event-bus.js';
import type { Database } from '../../src/core/db/database.js';
import { migratedDatabase, onPostgres } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const needsPostgres = { skip: !onPostgres && 'needs PostgreSQL (set RAMPART_TEST_DATABASE_URL)', timeout: 30_000 };

/** A logger whose lines the test can read. */
function captureLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

/** Records what a subscription receives and lets the test wait for a given event. */
function record(bus: EventBus, pattern: string) {
  const received: BusEvent[] = [];
  const waiters: { match: (e: BusEvent) => boolean; resolve: (e: BusEvent) => void }[] = [];
  bus.subscribe(pattern, (e) => {
    received.push(e);
    for (const w of waiters.filter((x) => x.match(e))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e);
    }
  });
  return {
    received,
    topics: () => received.map((e) => e.topic),
    waitFor(match: (e: BusEvent) => boolean): Promise<BusEvent> {
      const seen = received.find(match);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

async function openBus(db: Database, nodeId: string, extra: Partial<EventBusOptions> = {}) {
  const bus = createEventBus({ db, logger: pino({ level: 'silent' }), nodeId, ...extra });
  await bus.start();
  return bus;
}

/** Two nodes (separate handles and buses) on one database. */
async function twoNodes(extra: Partial<EventBusOptions> = {}) {
  const tdb = await migratedDatabase();
  const dbB = tdb.open();
  const a = await openBus(tdb.db, 'node-a', extra);
  const b = await openBus(dbB, 'node-b', extra);
  return {
    tdb,
    dbB,
    a,
    b,
    async cleanup() {
      await a.close();
      await b.close();
      await tdb.cleanup();
    },
  };
}

test('subscribers receive events by exact topic, trailing wildcard and *', async () => {
  const tdb = await migratedDatabase();
  const at = new Date('2030-01-02T03:04:05.000Z');
  const bus = await openBus(tdb.db, 'node-1', { now: () => at });
  try {
    const exact = record(bus, 'overlay.node.updated');
    const prefix = record(bus, 'overlay.*');
    const all = record(bus, '*');
    const other = record(bus, 'edge.*');
    const stamp = new Date('2029-12-31T00:00:00.000Z');

    const published = await bus.publish('overlay.node.updated', { name: 'lighthouse', at: stamp });
    await bus.publish('overlay', { bare: true });
    await bus.publish('egress.policy.applied', {});

    assert.deepEqual(exact.topics(), ['overlay.node.updated']);
    assert.deepEqual(prefix.topics(), ['overlay.node.updated'], "'overlay.*' does not match the bare 'overlay'");
    assert.deepEqual(all.topics(), ['overlay.node.updated', 'overlay', 'egress.policy.applied']);
    assert.deepEqual(other.topics(), []);

    const event = exact.received[0];
    assert.match(event.id, UUID);
    assert.equal(event.id, published.id);
    assert.equal(event.origin, 'node-1');
    assert.equal(event.published_at, '2030-01-02T03:04:05.000Z');
    // Local subscribers see the JSON round trip, exactly what a remote node would see.
    assert.deepEqual(event.payload, { name: 'lighthouse', at: '2029-12-31T00:00:00.000Z' });
    assert.equal(bus.status().mode, onPostgres ? 'postgres' : 'local');
  } finally {
    await bus.close();
    await tdb.cleanup();
  }
});

test('unsubscribing stops delivery to that subscriber only', async () => {
  const tdb = await migratedDatabase();
  const bus = await openBus(tdb.db, 'node-1');
  try {
    const kept = record(bus, 'fleet.*');
    const seen: string[] = [];
    const unsubscribe = bus.subscribe('fleet.*', (e) => void seen.push(e.topic));
    await bus.publish('fleet.host.added', {});
    unsubscribe();
    unsubscribe();
    await bus.publish('fleet.host.removed', {});
    assert.deepEqual(seen, ['fleet.host.added']);
    assert.deepEqual(kept.topics(), ['fleet.host.added', 'fleet.host.removed']);
  } finally {
    await bus.close();
    await tdb.cleanup();
  }
});

test('on either database, a publish inside a transaction arrives on commit and never on rollback', async () => {
  const tdb = await migratedDatabase();
  const bus = await openBus(tdb.db, 'node-1');
  try {
    const seen = record(bus, 'edge.*');
    await assert.rejects(
      tdb.db.transaction(async () => {
        await bus.publish('edge.rule.created', { n: 1 });
        throw new Error('roll back');
      }),
      /roll back/,
    );
    let seenInside = -1;
    await tdb.db.transaction(async () => {
      await bus.publish('edge.rule.updated', { n: 2 });
      seenInside = seen.received.length;
    });
    await seen.waitFor((e) => e.topic === 'edge.rule.updated');
    assert.equal(seenInside, 0, 'nothing is delivered before the commit');
    assert.deepEqual(seen.topics(), ['edge.rule.updated'], 'the rolled-back event never arrives');
  } finally {
    await bus.close();
    await tdb.cleanup();
  }
});

test('a throwing or rejecting subscriber is logged and does not stop delivery to the others', async () => {
  const tdb = await migratedDatabase();
  const { logger, lines } = captureLogger();
  const bus = createEventBus({ db: tdb.db, logger, nodeId: 'node-1' });
  await bus.start();
  try {
    const before = record(bus, 'access.*');
    bus.subscribe('access.*', () => {
      throw new Error('sync subscriber bug');
    });
    bus.subscribe('access.*', async () => {
      throw new Error('async subscriber bug');
    });
    const after = record(bus, 'access.*');

    await bus.publish('access.device.enrolled', { device: 'laptop' });
    await bus.publish('access.device.revoked', { device: 'laptop' });

    assert.deepEqual(before.topics(), ['access.device.enrolled', 'access.device.revoked']);
    assert.deepEqual(after.topics(), ['access.device.enrolled', 'access.device.revoked']);
    await sleep(0); // let the rejected promise's handler run
    const failures = lines.filter((l) => l.msg === 'event subscriber failed');
    assert.equal(failures.length, 4);
    assert.deepEqual(new Set(failures.map((l) => (l.err as { message: string }).message)), new Set(['sync subscriber bug', 'async subscriber bug']));
  } finally {
    await bus.close();
    await tdb.cleanup();
  }
});

test('publish refuses bad topics and payloads that are not JSON or too large', async () => {
  const tdb = await migratedDatabase();
  const bus = await openBus(tdb.db, 'node-1', { maxPayloadBytes: 1000 });
  try {
    const all = record(bus, '*');
    await assert.rejects(bus.publish('', {}), TypeError);
    await assert.rejects(bus.publish('overlay.*', {}), TypeError);
    await assert.rejects(bus.publish('has space', {}), TypeError);
    await assert.rejects(bus.publish('x', undefined), /JSON-serializable/);
    await assert.rejects(bus.publish('x', { n: 1n }), TypeError);
    await assert.rejects(bus.publish('x', 'y'.repeat(1001)), /exceeds 1000 bytes/);
    assert.throws(() => bus.subscribe('overlay.*.x', () => {}), TypeError);
    assert.deepEqual(all.received, []);
  } finally {
    await bus.close();
    await tdb.cleanup();
  }
});

test("subscribers never run inside the publisher's transaction", { timeout: 30_000 }, async () => {
  const tdb = await migratedDatabase();
  const bus = await openBus(tdb.db, 'node-1');
  try {
    const inTransaction: boolean[] = [];
    bus.subscribe('jobs.*', () => void inTransaction.push(tdb.db.kysely.isTransaction));
    const seen = record(bus, 'jobs.*');
    await tdb.db.transaction(() => bus.publish('jobs.queued', {}));
    await seen.waitFor((e) => e.topic === 'jobs.queued'); // on PostgreSQL it arrives on commit
    assert.deepEqual(inTransaction, [false]);
  } finally {
    await bus.close();
    await tdb.cleanup();
  }
});

test('an event published on one node reaches another sharing the PostgreSQL database, exactly once', needsPostgres, async () => {
  const nodes = await twoNodes();
  try {
    const onA = record(nodes.a, 'overlay.*');
    const onB = record(nodes.b, 'overlay.*');
    assert.equal(nodes.a.status().mode, 'postgres');
    assert.equal(nodes.b.status().listening, true);

    const sent = await nodes.a.publish('overlay.network.created', { name: 'corp', cidr: '10.42.0.0/16' });
    const got = await onB.waitFor((e) => e.id === sent.id);
    assert.deepEqual(got, {
      id: sent.id,
      topic: 'overlay.network.created',
      payload: { name: 'corp', cidr: '10.42.0.0/16' },
      origin: 'node-a',
      published_at: sent.published_at,
    });

    // NOTIFY is delivered in commit order: once each node has seen a later event from the other node, any
    // duplicate of the first (B's copy, or A's own echo) would already have arrived.
    const markerA = await nodes.a.publish('overlay.marker', { from: 'a' });
    const markerB = await nodes.b.publish('overlay.marker', { from: 'b' });
    await onB.waitFor((e) => e.id === markerA.id);
    await onA.waitFor((e) => e.id === markerB.id);
    assert.equal(onB.received.filter((e) => e.id === sent.id).length, 1);
    assert.equal(onA.received.filter((e) => e.id === sent.id).length, 1);
    assert.deepEqual(onA.topics(), ['overlay.network.created', 'overlay.marker', 'overlay.marker']);
    assert.deepEqual(onB.topics(), ['overlay.network.created', 'overlay.marker', 'overlay.marker']);
  } finally {
    await nodes.cleanup();
  }
});

test('a payload over the NOTIFY limit reaches the other node intact', needsPostgres, async () => {
  const nodes = await twoNodes();
  try {
    const onA = record(nodes.a, 'fleet.*');
    const onB = record(nodes.b, 'fleet.*');
    // Multi-byte characters: the limit is in bytes, not characters.
    const payload = { hosts: Array.from({ length: 400 }, (_, i) => ({ i, name: `hôte-${i}-ü`, tags: ['a', 'b'] })) };
    assert.ok(Buffer.byteLength(JSON.stringify(payload)) > 8000);

    const sent = await nodes.a.publish('fleet.scan.finished', payload);
    const got = await onB.waitFor((e) => e.id === sent.id);
    assert.deepEqual(got.payload, payload);
    assert.equal(got.origin, 'node-a');
    assert.deepEqual(onA.received.map((e) => e.payload), [payload]);
  } finally {
    await nodes.cleanup();
  }
});

test('a publish inside a rolled-back transaction reaches nobody; a committed one reaches every node once, on commit', needsPostgres, async () => {
  const nodes = await twoNodes();
  try {
    const onA = record(nodes.a, 'egress.*');
    const onB = record(nodes.b, 'egress.*');
    const big = 'x'.repeat(9000);

    await assert.rejects(
      nodes.tdb.db.transaction(async () => {
        await nodes.a.publish('egress.rule.added', { small: true });
        await nodes.a.publish('egress.rule.added', { big });
        throw new Error('roll back');
      }),
      /roll back/,
    );

    let seenBeforeCommit = -1;
    const committed = await nodes.tdb.db.transaction(async () => {
      const e = await nodes.a.publish('egress.rule.removed', { id: 7 });
      seenBeforeCommit = onA.received.length;
      return e;
    });
    assert.equal(seenBeforeCommit, 0, 'nothing is delivered before the transaction commits');
    await onA.waitFor((e) => e.id === committed.id);
    await onB.waitFor((e) => e.id === committed.id);

    // Flush: a later event from each side proves nothing else is still on its way.
    const markerA = await nodes.a.publish('egress.marker', {});
    const markerB = await nodes.b.publish('egress.marker', {});
    await onB.waitFor((e) => e.id === markerA.id);
    await onA.waitFor((e) => e.id === markerB.id);
    assert.deepEqual(onA.topics(), ['egress.rule.removed', 'egress.marker', 'egress.marker']);
    assert.deepEqual(onB.topics(), ['egress.rule.removed', 'egress.marker', 'egress.marker']);
    const parked = await nodes.tdb.db.kysely.selectFrom('event_payloads').select('id').execute();
    assert.deepEqual(parked, [], 'the rolled-back large payload left no row');
  } finally {
    await nodes.cleanup();
  }
});

test('parked large payloads are pruned once older than the retention', needsPostgres, async () => {
  let clock = new Date('2030-01-01T00:00:00.000Z');
  const nodes = await twoNodes({ now: () => clock, postgres: { payloadRetentionMs: 60_000 } });
  try {
    const onB = record(nodes.b, '*');
    const first = await nodes.a.publish('big', 'a'.repeat(10_000));
    await onB.waitFor((e) => e.id === first.id);
    clock = new Date(clock.getTime() + 61_000);
    const second = await nodes.a.publish('big', 'b'.repeat(10_000));
    await onB.waitFor((e) => e.id === second.id);

    const parked = await nodes.tdb.db.kysely.selectFrom('event_payloads').select('id').execute();
    assert.deepEqual(parked.map((r) => r.id), [second.id]);
    assert.equal(onB.received[1].payload, 'b'.repeat(10_000));
  } finally {
    await nodes.cleanup();
  }
});

test('a node whose LISTEN connection drops reconnects and receives events again', needsPostgres, async () => {
  const { logger, lines } = captureLogger();
  const nodes = await twoNodes({ postgres: { reconnect: { minMs: 10, maxMs: 200 } } });
  const b = createEventBus({ db: nodes.dbB, logger, nodeId: 'node-b2', postgres: { reconnect: { minMs: 10, maxMs: 200 } } });
  await b.start();
  try {
    const onB = record(b, '*');
    const admin = new pg.Client({ connectionString: nodes.tdb.url });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'rampart-events node-b2'`,
      );
      assert.equal(rowCount, 1);
    } finally {
      await admin.end();
    }
    await waitFor('node b to reconnect its LISTEN connection', () => b.status().reconnects >= 1, 30_000);
    assert.equal(b.status().listening, true);

    const sent = await nodes.a.publish('overlay.after.reconnect', { ok: true });
    const got = await onB.waitFor((e) => e.id === sent.id);
    assert.deepEqual(got.payload, { ok: true });
    assert.ok(lines.some((l) => l.msg.startsWith('event bus lost its LISTEN connection')));
    assert.ok(lines.some((l) => l.msg === 'event bus LISTEN connection restored'));
  } finally {
    await b.close();
    await nodes.cleanup();
  }
});

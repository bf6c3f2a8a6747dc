import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Core } from '../../src/core/index.js';
import type { BusEvent } from '../../src/core/events/event-bus.js';
import { startAutoSave } from '../../src/modules/edge/config/auto-save.js';
import { EDGE_CHANGED, type EdgeChange } from '../../src/modules/edge/edge.types.js';
import type { SaveOptions } from '../../src/modules/edge/config/versions.js';

/** A configuration held in memory; saveIfChanged reads it after `readGate` opens, as a save reading from the database. */
function fakeEdge() {
  const handlers: Array<(e: BusEvent) => void> = [];
  const config: Record<string, string> = {};
  const saved: Array<{ version: number; hash: string } & SaveOptions> = [];
  let gate: { at: 'before' | 'after'; opened: Promise<void> } | null = null;
  let saveStarted: () => void = () => {};
  const core = {
    events: { nodeId: 'here', subscribe: (_topic: string, h: (e: BusEvent) => void) => (handlers.push(h), () => {}) },
    logger: { error: (o: unknown) => assert.fail(String((o as { err?: unknown }).err)) },
  } as unknown as Core;
  const versions = {
    async saveIfChanged(opts: SaveOptions) {
      saveStarted();
      const held = gate;
      if (held?.at === 'before') await held.opened;
      const hash = JSON.stringify(config);
      if (held?.at === 'after') await held.opened;
      if (hash === saved.at(-1)?.hash) return null;
      saved.push({ version: saved.length + 1, hash, ...opts });
      return saved.length;
    },
    async credit(version: number, opts: SaveOptions) {
      Object.assign(saved[version - 1]!, opts);
    },
  };
  const idle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  return {
    saved,
    idle,
    start: () => startAutoSave(core, versions),
    /** Writes a section (the commit) and delivers its event, as the bus does after the commit. */
    write(section: string, value: string, actor: string, deliver = true) {
      config[section] = value;
      const payload: EdgeChange = { section, comment: `PUT /api/v1/${section}`, pending: [], actor };
      const event = { id: section, topic: EDGE_CHANGED, payload, origin: 'here', published_at: '' } as BusEvent;
      const send = () => handlers.forEach((h) => h(event));
      if (deliver) send();
      return send;
    },
    /** Holds the next save just before or just after its read until open() is called. */
    holdSave(at: 'before' | 'after') {
      let open!: () => void;
      const opened = new Promise<void>((r) => (open = r));
      gate = { at, opened };
      const started = new Promise<void>((r) => (saveStarted = r));
      return { started, open: () => { gate = null; open(); } };
    },
  };
}

test('a version holding a change whose event came while it was saved is credited to that change', async () => {
  const edge = fakeEdge();
  edge.start();
  const hold = edge.holdSave('before');
  edge.write('rules', 'r1', 'alice');
  await hold.started;
  // bob's write commits before the save reads, but its event arrives after the read began
  const deliverBob = edge.write('routes', 'rt1', 'bob', false);
  hold.open();
  deliverBob();
  await edge.idle();
  assert.equal(edge.saved.length, 1, 'one version holds both changes');
  assert.equal(edge.saved[0]!.createdBy, 'bob');
  assert.equal(edge.saved[0]!.comment, 'PUT /api/v1/routes');
});

test('a write that changes nothing after a save leaves that version to its author; a real change saves its own', async () => {
  const edge = fakeEdge();
  edge.start();
  edge.write('rules', 'r1', 'alice');
  await edge.idle();
  edge.write('rules', 'r1', 'bob');
  await edge.idle();
  assert.deepEqual(edge.saved.map((v) => v.createdBy), ['alice']);
  edge.write('routes', 'rt1', 'carol');
  await edge.idle();
  assert.deepEqual(edge.saved.map((v) => [v.createdBy, v.comment]), [['alice', 'PUT /api/v1/rules'], ['carol', 'PUT /api/v1/routes']]);
});

test('changes that arrive while a save runs and that it did not hold get a version of their own', async () => {
  const edge = fakeEdge();
  edge.start();
  const hold = edge.holdSave('after');
  edge.write('rules', 'r1', 'alice');
  await hold.started;
  await edge.idle();
  edge.write('routes', 'rt1', 'bob'); // committed and delivered after the first save read
  hold.open();
  await edge.idle();
  assert.deepEqual(edge.saved.map((v) => v.createdBy), ['alice', 'bob']);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFifoQueue } from '../../src/core/fifo-queue.js';

test('a FIFO queue lets at most its slots in at once, and the rest in the order they came', async () => {
  const queue = createFifoQueue(2);
  const order: string[] = [];
  const gates = new Map<string, () => void>();
  const job = (name: string) =>
    queue.run(async () => {
      order.push(`start ${name}`);
      await new Promise<void>((resolve) => gates.set(name, resolve));
      order.push(`end ${name}`);
    });
  const jobs = ['a', 'b', 'c', 'd'].map(job);
  await new Promise(setImmediate);
  assert.deepEqual(order, ['start a', 'start b'], 'two slots: the third waits');
  gates.get('b')!();
  await new Promise(setImmediate);
  // A late arrival does not overtake the waiting d.
  const late = job('late');
  gates.get('a')!();
  await new Promise(setImmediate);
  assert.deepEqual(order, ['start a', 'start b', 'end b', 'start c', 'end a', 'start d']);
  for (const name of ['c', 'd']) gates.get(name)!();
  await new Promise(setImmediate);
  gates.get('late')!();
  await Promise.all([...jobs, late]);
  assert.ok(order.indexOf('start late') > order.indexOf('end c'), 'the late one starts once a slot frees after d started');
  assert.equal(order.at(-1), 'end late');
});

test('a slot is given back when the holder fails', async () => {
  const queue = createFifoQueue(1);
  await assert.rejects(queue.run(async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await queue.run(async () => 'next'), 'next');
});

test('a waiter with a wait limit leaves the line with the caller\'s error, and the line moves on without it', async () => {
  const queue = createFifoQueue(1);
  let releaseHolder!: () => void;
  const holder = queue.run(() => new Promise<void>((resolve) => (releaseHolder = resolve)));
  const impatient = queue.acquire({ maxWaitMs: 1, onTimeout: () => new Error('too long a wait') });
  const patient = queue.run(async () => 'patient ran');
  await assert.rejects(impatient, /too long a wait/);
  releaseHolder();
  await holder;
  assert.equal(await patient, 'patient ran', 'the slot went to the next waiter, not to the one that left');
  assert.equal(await queue.run(async () => 'free again'), 'free again', 'no slot was lost');
});

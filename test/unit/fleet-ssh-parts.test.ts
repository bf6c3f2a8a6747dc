/** The SSH transport's pure parts: the limiter, host key descriptions and how connection failures are named. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { describeHostKey } from '../../src/modules/fleet/ssh/host-keys.store.js';
import { createLimiter } from '../../src/modules/fleet/ssh/limiter.js';
import { failureKind } from '../../src/modules/fleet/ssh/ssh.errors.js';
import { shellQuote } from '../../src/modules/fleet/ssh/ssh.session.js';

test('the limiter runs at most N tasks at once, and a freed slot goes to the oldest waiter', async () => {
  const limiter = createLimiter(2);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const tasks = Array.from({ length: 6 }, (_, i) =>
    limiter.run(async () => {
      running++;
      peak = Math.max(peak, running);
      order.push(i);
      await gate;
      running--;
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(limiter.active, 2);
  assert.equal(limiter.waiting, 4);
  release();
  await Promise.all(tasks);
  assert.equal(peak, 2);
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
  assert.throws(() => createLimiter(0));
});

test('a host key is described as ssh-keygen -l does: type and unpadded SHA256 of the wire form', () => {
  const type = Buffer.from('ssh-ed25519');
  const body = Buffer.alloc(32, 7);
  const wire = Buffer.concat([Buffer.from([0, 0, 0, type.length]), type, Buffer.from([0, 0, 0, 32]), body]);
  const described = describeHostKey(wire);
  assert.equal(described.keyType, 'ssh-ed25519');
  assert.equal(described.fingerprint, `SHA256:${createHash('sha256').update(wire).digest('base64').replace(/=+$/, '')}`);
  assert.equal(Buffer.from(described.publicKey, 'base64').equals(wire), true);
});

test('connection failures are named as liveness reports them', () => {
  assert.equal(failureKind(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), 'unreachable');
  assert.equal(failureKind(Object.assign(new Error('no route'), { code: 'EHOSTUNREACH' })), 'unreachable');
  assert.equal(failureKind(Object.assign(new Error('no net'), { code: 'ENETUNREACH' })), 'unreachable');
  assert.equal(failureKind(Object.assign(new Error('slow'), { code: 'ETIMEDOUT' })), 'timeout');
  assert.equal(failureKind(Object.assign(new Error('handshake'), { level: 'client-timeout' })), 'timeout');
  assert.equal(failureKind(Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' })), 'auth_failed');
  assert.equal(failureKind(new Error('bad packet')), 'protocol');
});

test('shell quoting survives quotes inside the command', () => {
  assert.equal(shellQuote(`echo 'a' "b"`), `'echo '\\''a'\\'' "b"'`);
});

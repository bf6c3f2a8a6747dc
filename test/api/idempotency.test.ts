import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { probeModule } from '../helpers/probe-module.js';

describe('Idempotency-Key', () => {
  let r: TestRampart;
  let clock = new Date('2026-06-10T14:30:00Z');
  before(async () => {
    r = await createTestRampart({ modules: [probeModule()], now: () => clock });
  });
  after(() => r.cleanup());

  const post = (key: string | undefined, text: string, url = '/api/v1/probe/notes') =>
    r.app.inject({ method: 'POST', url, headers: key ? { 'idempotency-key': key } : {}, payload: { text } });
  const count = async () => (await r.app.inject({ method: 'GET', url: '/api/v1/probe/notes/count' })).json().count as number;

  test('the same key and request replays the first response without running it again', async () => {
    const before = await count();
    const first = await post('key-replay', 'hello');
    const second = await post('key-replay', 'hello');
    assert.equal(first.statusCode, 201);
    assert.equal(second.statusCode, 201);
    assert.deepEqual(second.json(), first.json());
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(await count(), before + 1);
  });

  test('the same key with a different body is 409 and changes nothing', async () => {
    await post('key-conflict', 'one');
    const before = await count();
    const res = await post('key-conflict', 'two');
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'idempotency.key_reused', "OpenWatch's code on the fleet surface");
    assert.equal(await count(), before);
  });

  test('the same key on another path is a different request: 409', async () => {
    await post('key-path', 'same');
    const res = await post('key-path', 'same', '/api/v1/probe/keyed-notes');
    assert.equal(res.statusCode, 409);
  });

  test('a key expires after 24 hours and is swept', async () => {
    const first = await post('key-expiry', 'again');
    clock = new Date(clock.getTime() + 24 * 3_600_000 + 1000);
    const swept = await r.idempotency.sweep();
    assert.ok(swept >= 1, 'expired keys are removed');
    const later = await post('key-expiry', 'again');
    assert.equal(later.statusCode, 201);
    assert.notEqual(later.json().id, first.json().id, 'an expired key runs the request again');
    assert.equal(later.headers['idempotent-replayed'], undefined);
  });

  test('a failed request does not consume its key', async () => {
    const failed = await r.app.inject({ method: 'POST', url: '/api/v1/probe/rejected-notes', headers: { 'idempotency-key': 'key-fail' }, payload: { text: 'x' } });
    assert.equal(failed.statusCode, 409);
    const again = await r.app.inject({ method: 'POST', url: '/api/v1/probe/rejected-notes', headers: { 'idempotency-key': 'key-fail' }, payload: { text: 'x' } });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'conflict', 'the request ran again rather than being replayed or refused');
  });

  test('a route that requires a key refuses a request without one', async () => {
    const before = await count();
    const res = await post(undefined, 'no key', '/api/v1/probe/keyed-notes');
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.human_message, /Idempotency-Key/);
    assert.equal(await count(), before);
  });

  test('a key that is not printable ASCII is refused', async () => {
    const res = await post('x'.repeat(300), 'too long key');
    assert.equal(res.statusCode, 400);
  });

  test('concurrent requests with one key run once', async () => {
    const before = await count();
    const results = await Promise.all([1, 2, 3, 4].map(() => post('key-race', 'race')));
    const created = results.filter((x) => x.statusCode === 201);
    assert.ok(created.length >= 1);
    for (const x of results) assert.ok(x.statusCode === 201 || x.statusCode === 409, `status ${x.statusCode}`);
    assert.equal(new Set(created.map((x) => x.json().id)).size, 1, 'every success is the same note');
    assert.equal(await count(), before + 1);
  });
});

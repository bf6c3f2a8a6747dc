/** The device-poll cache: bounded by bytes, least recently used out first, entries valid only for their key. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ByteLru } from '../../src/modules/overlay/device/byte-lru.js';
import { createDeviceCache } from '../../src/modules/overlay/device/device-cache.js';

describe('ByteLru', () => {
  const lru = () => new ByteLru<string>(100, (_key, value) => value.length);

  test('evicts the least recently used entries once the budget is spent, never going over it', () => {
    const cache = lru();
    for (const key of ['a', 'b', 'c']) cache.set(key, 'x'.repeat(30));
    assert.equal(cache.bytes, 90);
    assert.equal(cache.get('a'), 'x'.repeat(30), 'a is now the most recently used');
    cache.set('d', 'y'.repeat(30));
    assert.equal(cache.get('b'), undefined, 'b was the least recently used');
    assert.deepEqual(['a', 'c', 'd'].map((k) => cache.get(k) !== undefined), [true, true, true]);
    assert.equal(cache.bytes, 90);
    cache.set('e', 'z'.repeat(70));
    assert.ok(cache.bytes <= 100);
    assert.equal(cache.get('e'), 'z'.repeat(70));
  });

  test('replacing an entry frees its old size; a value larger than the budget is not kept', () => {
    const cache = lru();
    cache.set('a', 'x'.repeat(60));
    cache.set('a', 'x'.repeat(10));
    assert.equal(cache.bytes, 10);
    cache.set('huge', 'x'.repeat(101));
    assert.equal(cache.get('huge'), undefined);
    assert.equal(cache.get('a'), 'x'.repeat(10), 'nothing else was evicted for it');
  });
});

describe('device cache', () => {
  test('an entry answers only for the key it was computed for, and only before validUntil', () => {
    const cache = createDeviceCache(1);
    cache.set('config-etag', 'node-1', '7|2026-01-01', 5_000, '"tag"');
    assert.equal(cache.get('config-etag', 'node-1', '7|2026-01-01', 1_000), '"tag"');
    assert.equal(cache.get('config-etag', 'node-1', '8|2026-01-01', 1_000), undefined, 'the network revision moved on');
    assert.equal(cache.get('config-etag', 'node-1', '7|2026-01-01', 5_000), undefined, 'a certificate in it expired');
    assert.equal(cache.get('config-yaml', 'node-1', '7|2026-01-01', 1_000), undefined, 'kinds do not mix');
  });

  test('stays within its budget in MiB however many devices poll', () => {
    const cache = createDeviceCache(1);
    const yaml = 'k: v\n'.repeat(400);
    for (let i = 0; i < 5_000; i++) cache.set('config-yaml', `node-${i}`, '1|t', Infinity, { etag: `"${i}"`, yaml });
    const { bytes, entries } = cache.stats();
    assert.ok(bytes <= 1024 * 1024, `${bytes} bytes`);
    assert.ok(entries > 100 && entries < 5_000, `${entries} entries kept`);
    assert.ok(cache.get('config-yaml', 'node-4999', '1|t', 0), 'the newest stays');
    assert.equal(cache.get('config-yaml', 'node-0', '1|t', 0), undefined, 'the oldest went');
  });

  test('rendered texts, however many, never push out the ETags every poll needs', () => {
    const cache = createDeviceCache(1);
    const yaml = 'k: v\n'.repeat(400);
    for (let i = 0; i < 1_000; i++) {
      cache.set('config-etag', `node-${i}`, '1|t', Infinity, `"${i}"`);
      cache.texts.set('config-yaml', `node-${i}`, '1|t', Infinity, { etag: `"${i}"`, yaml });
    }
    assert.equal(cache.get('config-etag', 'node-0', '1|t', 0), '"0"', 'the first device still gets its 304 from memory');
    assert.ok(cache.texts.get('config-yaml', 'node-999', '1|t', 0), 'the newest text stays');
    assert.equal(cache.texts.get('config-yaml', 'node-0', '1|t', 0), undefined, 'the oldest text went');
    assert.ok(cache.stats().bytes <= 1024 * 1024);
  });
});

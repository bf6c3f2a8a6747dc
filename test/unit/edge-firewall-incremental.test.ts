/**
 * The edge firewall's incremental parts without a kernel: alias elements merged by the compiler (what nft's
 * auto-merge did), the compile cache giving exactly what a cold compile gives after any series of changes, and the
 * core's in-place diff (elements removed and added, chains refilled, added and removed, what needs a replacement).
 * test/e2e/edge-nft-incremental.test.ts checks the same against the kernel.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inPlaceChange, type NftObject } from '../../src/core/dataplane/nft-in-place.js';
import { compile, createCompileCache, filterTableText, natTableText } from '../../src/modules/edge/firewall/compile.js';
import { addressElements, portElements } from '../../src/modules/edge/firewall/set-elements.js';
import { change, compileInput, random, randomConfig } from '../helpers/edge-firewall-random.js';

describe('alias elements', () => {
  test('overlapping and touching entries become one element; prefixes stay prefixes', () => {
    assert.deepEqual(addressElements(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.0/30', '192.168.1.0/24', '10.0.0.9'], 4), ['10.0.0.0/30', '10.0.0.9', '192.168.1.0/24']);
    assert.deepEqual(addressElements(['10.0.0.0/31', '10.0.0.2/31', '10.0.0.4/30', '10.0.0.8'], 4), ['10.0.0.0-10.0.0.8']);
    assert.deepEqual(addressElements(['10.0.0.0/25', '10.0.0.128/25'], 4), ['10.0.0.0/24'], 'two halves are the whole prefix');
    assert.deepEqual(addressElements(['0.0.0.0/0', '10.0.0.1'], 4), ['0.0.0.0/0']);
    assert.deepEqual(addressElements(['255.255.255.255', '255.255.255.254'], 4), ['255.255.255.254/31']);
  });

  test('a prefix with host bits set names its network, as the kernel would match it', () => {
    assert.deepEqual(addressElements(['192.168.1.77/24'], 4), ['192.168.1.0/24']);
    assert.deepEqual(addressElements(['2001:db8::1/32'], 6), ['2001:db8::/32']);
  });

  test('IPv6: canonical text, merged spans, an embedded IPv4 tail', () => {
    assert.deepEqual(addressElements(['2001:DB8:0:0:0:0:0:1'.toLowerCase(), '2001:db8::2', '2001:db8::3'], 6), ['2001:db8::1-2001:db8::3']);
    assert.deepEqual(addressElements(['2001:db8::/33', '2001:db8:8000::/33'], 6), ['2001:db8::/32']);
    assert.deepEqual(addressElements(['::ffff:198.51.100.1'], 6), ['::ffff:c633:6401']);
    assert.deepEqual(addressElements(['fe80:0:0:1::1', '::1', '::/0'].slice(0, 2), 6), ['::1', 'fe80:0:0:1::1']);
    assert.deepEqual(addressElements(['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::/0'], 6), ['::/0']);
  });

  test('ports: ranges and single ports merged', () => {
    assert.deepEqual(portElements(['80', '81', '82-90', '443', '1000-2000', '1500']), ['80-90', '443', '1000-2000']);
  });
});

describe('compile cache', () => {
  test('after every one of a series of random changes, a warm compile equals a cold one', () => {
    for (const seed of [1, 2, 3]) {
      const rnd = random(seed);
      const cache = createCompileCache();
      let config = randomConfig(rnd, 150, 10);
      for (let step = 0; step < 60; step++) {
        const { config: next, what } = change(rnd, config);
        config = next;
        const warm = compile(compileInput(config, { cache }));
        const cold = compile(compileInput(config));
        assert.equal(filterTableText(warm), filterTableText(cold), `seed ${seed} step ${step}: ${what}`);
        assert.equal(natTableText(warm), natTableText(cold), `seed ${seed} step ${step}: ${what} (nat)`);
      }
      assert.ok(cache.rules.size <= config.rules.length, 'removed rules leave the cache');
    }
  });

  test('an unchanged rule hands back the very same text (the applier compares by reference first)', () => {
    const rnd = random(7);
    const config = randomConfig(rnd, 50, 5);
    const cache = createCompileCache();
    const first = compile(compileInput(config, { cache }));
    const second = compile(compileInput({ ...config, rules: config.rules.map((r) => ({ ...r })) }, { cache }));
    const texts = (c: typeof first) => c.chains.flatMap((ch) => ch.rules);
    assert.ok(texts(second).every((r, i) => r === texts(first)[i]), 'same compiled rule objects');
  });

  test('a rule added, removed or moved changes only the block it is in or leaves', () => {
    const rnd = random(11);
    const config = randomConfig(rnd, 2000, 6);
    config.rules = config.rules.map((r) => ({ ...r, status: 'active', direction: 'in', schedule_id: null }));
    const names = (c: ReturnType<typeof compile>) => new Map(c.chains.filter((ch) => ch.parent === 'in').map((ch) => [ch.name, ch.rules.map((r) => r.key).join()]));
    const before = names(compile(compileInput(config)));
    const after = names(compile(compileInput({ ...config, rules: config.rules.filter((_, i) => i !== 700) })));
    const differing = [...new Set([...before.keys(), ...after.keys()])].filter((n) => before.get(n) !== after.get(n));
    assert.ok(before.size > 10, `${before.size} blocks`);
    assert.ok(differing.length <= 2, `one rule removed changed ${differing.length} blocks`);
  });
});

describe('in-place diff', () => {
  const T = 'inet t';
  const set = (name: string, elements: string[], declaration = 'type ipv4_addr; flags interval;'): NftObject => ({ kind: 'set', name, declaration, elements });
  const chain = (name: string, rules: string[], hook: string | null = null): NftObject => ({ kind: 'chain', name, hook, rules });

  test('a set changes by the elements removed and added, not by being redefined', () => {
    const change = inPlaceChange(T, [set('s', ['10.0.0.1', '10.0.0.2'])], [set('s', ['10.0.0.2', '10.0.0.3'])]);
    assert.deepEqual(change, { statements: ['delete element inet t s { 10.0.0.1 }', 'add element inet t s { 10.0.0.3 }'], chains: 0, sets: 1 });
  });

  test('chains added, refilled and removed in an order nft takes in one transaction; nothing differs, nothing sent', () => {
    const before = [set('old', ['10.0.0.1']), chain('input', ['jump a'], 'type filter hook input priority filter; policy drop;'), chain('a', ['ip saddr @old accept'])];
    const after = [set('new', []), chain('input', ['jump b'], 'type filter hook input priority filter; policy drop;'), chain('b', ['ip saddr @new accept'])];
    assert.deepEqual(inPlaceChange(T, before, after)!.statements, [
      'add set inet t new { type ipv4_addr; flags interval; }',
      'add chain inet t b',
      'flush chain inet t input', 'add rule inet t input jump b',
      'add rule inet t b ip saddr @new accept',
      'flush chain inet t a', 'delete chain inet t a',
      'delete set inet t old',
    ]);
    assert.deepEqual(inPlaceChange(T, after, after), { statements: [], chains: 0, sets: 0 });
  });

  test('a new set or map is declared with its elements in one statement (a separate add element makes nft read every set\'s elements)', () => {
    const map: NftObject = { kind: 'set', keyword: 'map', name: 'm', declaration: 'type ipv4_addr : verdict; flags interval;', elements: ['10.0.0.0/24 : jump a'] };
    assert.deepEqual(inPlaceChange(T, [], [set('s', ['10.0.0.1', '10.0.0.2']), map])!.statements, [
      'add set inet t s { type ipv4_addr; flags interval; elements = { 10.0.0.1, 10.0.0.2 } }',
      'add map inet t m { type ipv4_addr : verdict; flags interval; elements = { 10.0.0.0/24 : jump a } }',
    ]);
    assert.deepEqual(inPlaceChange(T, [map], [])!.statements, ['delete map inet t m']);
  });

  test('a stateful set (filled at run time) added or removed: null, so the caller replaces the table and restores it', () => {
    const learned: NftObject = { kind: 'set', name: 'l', declaration: 'type ipv4_addr; flags timeout;', elements: [], stateful: true };
    assert.equal(inPlaceChange(T, [], [learned]), null);
    assert.equal(inPlaceChange(T, [learned], []), null);
    assert.deepEqual(inPlaceChange(T, [learned], [learned]), { statements: [], chains: 0, sets: 0 });
  });

  test('a set declaration or a base chain hook changed, or a base chain added or removed: null (replace the table)', () => {
    assert.equal(inPlaceChange(T, [set('s', [])], [set('s', [], 'type ipv6_addr; flags interval;')]), null);
    assert.equal(inPlaceChange(T, [chain('input', [], 'type filter hook input priority filter; policy drop;')], [chain('input', [], 'type filter hook input priority filter; policy accept;')]), null);
    assert.equal(inPlaceChange(T, [], [chain('output', [], 'type filter hook output priority filter; policy accept;')]), null);
    assert.equal(inPlaceChange(T, [chain('output', [], 'type filter hook output priority filter; policy accept;')], []), null);
  });
});

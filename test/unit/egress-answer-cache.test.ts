import assert from 'node:assert/strict';
import { test } from 'node:test';
import dnsPacket from 'dns-packet';
import { countedIpTtl, createAnswerCache } from '../../src/modules/egress/dns/answer-cache.js';
import { fitAnswer } from '../../src/modules/egress/dns/dns-messages.js';
import { readAnswer, readQuery, type WireAnswer } from '../../src/modules/egress/dns/dns-wire.js';

const question = { name: 'api.example.com', type: 'A' as const, class: 'IN' as const };
const query = (name = question.name, id = 1) => readQuery(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ ...question, name }] }))!;
const answer = (rcode = 0, opts: { answers?: boolean; tc?: boolean } = {}): WireAnswer =>
  readAnswer(dnsPacket.encode({
    type: 'response', id: 7, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode | (opts.tc ? dnsPacket.TRUNCATED_RESPONSE : 0), questions: [question],
    answers: opts.answers === false ? [] : [{ name: 'api.example.com', type: 'A', class: 'IN', ttl: 60, data: '203.0.113.10' }],
    authorities: [{ name: 'example.com', type: 'NS', class: 'IN', ttl: 300, data: 'ns.example.com' }],
  }), query().question!)!;

test('a cached answer goes to each client with its own id, its letter case and the TTL counted down, until it expires', () => {
  let now = 1_000_000;
  const cache = createAnswerCache(() => now);
  assert.ok(cache.put('k', answer(), 'api.example.com'));

  now += 25_000;
  const entry = cache.get('k')!;
  assert.equal(countedIpTtl(entry), 35);
  const asked = query('API.Example.com', 4242);
  const decoded = dnsPacket.decode(fitAnswer(entry.counted, asked as typeof asked & { question: Buffer }));
  assert.equal(decoded.id, 4242);
  assert.equal(decoded.questions![0].name, 'API.Example.com');
  assert.deepEqual(decoded.answers!.map((a) => [(a as { data: string }).data, (a as { ttl: number }).ttl]), [['203.0.113.10', 35]]);
  assert.equal((decoded.authorities![0] as { ttl: number }).ttl, 275, 'every record counts down, not only the addresses');

  now += 35_000;
  assert.equal(cache.get('k'), null, 'gone once the shortest TTL ran out');
});

test('failures, truncated and empty answers are not kept', () => {
  const cache = createAnswerCache(() => 0);
  assert.equal(cache.put('k', answer(2), 'api.example.com'), null);
  assert.equal(cache.put('k', answer(0, { tc: true }), 'api.example.com'), null);
  assert.equal(cache.put('k', answer(0, { answers: false }), 'api.example.com'), null);
  assert.equal(cache.size(), 0);
  assert.equal(cache.get('k'), null);
});

test('the cache is bounded: the oldest entry goes first', () => {
  const cache = createAnswerCache(() => 0, 2);
  for (const key of ['a', 'b', 'c']) cache.put(key, answer(), 'api.example.com');
  assert.equal(cache.size(), 2);
  assert.equal(cache.get('a'), null);
  assert.ok(cache.get('c'));
});

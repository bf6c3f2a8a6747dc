import assert from 'node:assert/strict';
import { test } from 'node:test';
import dnsPacket, { type DecodedPacket } from 'dns-packet';
import { createAnswerCache } from '../../src/modules/egress/dns/answer-cache.js';

const question = { name: 'api.example.com', type: 'A' as const, class: 'IN' as const };
const answer = (flags = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE): DecodedPacket =>
  dnsPacket.decode(dnsPacket.encode({
    type: 'response', id: 7, flags, questions: [question],
    answers: [{ name: 'api.example.com', type: 'A', class: 'IN', ttl: 60, data: '203.0.113.10' }],
  }));

test('a cached answer goes to each client with its own id and the TTL counted down, until it expires', () => {
  let now = 1_000_000;
  const cache = createAnswerCache(() => now);
  cache.put(question, answer(), false);

  now += 25_000;
  const hit = cache.get({ ...question, name: 'API.example.com' }, 4242)!;
  const decoded = dnsPacket.decode(hit.message);
  assert.equal(decoded.id, 4242);
  assert.deepEqual(decoded.answers!.map((a) => [(a as { data: string }).data, (a as { ttl: number }).ttl]), [['203.0.113.10', 35]]);

  now += 35_000;
  assert.equal(cache.get(question, 1), null, 'gone once the TTL ran out');
});

test('failures, truncated and empty answers are not kept', () => {
  const cache = createAnswerCache(() => 0);
  const servfail = { ...answer(), flags: (answer().flags ?? 0) | 2 };
  cache.put(question, servfail, false);
  cache.put(question, answer(), true);
  cache.put(question, { ...answer(), answers: [] }, false);
  assert.equal(cache.size(), 0);
  assert.equal(cache.get(question, 1), null);
});

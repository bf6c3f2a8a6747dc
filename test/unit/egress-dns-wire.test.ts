/**
 * The DNS proxy's wire reader and writers (dns/dns-wire.ts, dns/dns-messages.ts) against messages dns-packet
 * encodes and decodes, hand-built compressed answers, and malformed bytes (which must give null, never throw).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import dnsPacket, { type Answer } from 'dns-packet';
import { errorAnswer, fitAnswer, RCODE, truncatedAnswer } from '../../src/modules/egress/dns/dns-messages.js';
import { nameText, queryVariant, readAnswer, readName, readQuery, type WireQuery } from '../../src/modules/egress/dns/dns-wire.js';

const opt = (udpPayloadSize: number, flags = 0): Answer => ({ type: 'OPT', name: '.', udpPayloadSize, flags, options: [] } as unknown as Answer);
const encodeQuery = (name: string, type: 'A' | 'AAAA' = 'A', extra: { edns?: Answer; id?: number; flags?: number } = {}) =>
  dnsPacket.encode({ type: 'query', id: extra.id ?? 42, flags: extra.flags ?? dnsPacket.RECURSION_DESIRED, questions: [{ type, name }], additionals: extra.edns ? [extra.edns] : [] });
const asked = (message: Buffer) => readQuery(message) as WireQuery & { question: Buffer };

test('a query is read as far as its question and OPT record', () => {
  const message = encodeQuery('Api.Example.com', 'AAAA', { id: 4711 });
  const q = readQuery(message)!;
  assert.equal(q.id, 4711);
  assert.equal(q.qtype, 28);
  assert.equal(q.opt, null);
  assert.equal(q.udpLimit, 512);
  assert.equal(nameText(q.question!.subarray(0, -4)), 'Api.Example.com', 'letter case as sent');
  assert.equal(q.question!.buffer, message.buffer, 'an uncompressed question is a view, not a copy');

  const withEdns = readQuery(encodeQuery('api.example.com', 'A', { edns: opt(1232) }))!;
  assert.equal(withEdns.udpLimit, 1232);
  assert.equal(readQuery(encodeQuery('api.example.com', 'A', { edns: opt(65_000) }))!.udpLimit, 4096, 'never more than the proxy sends');
  assert.equal(readQuery(encodeQuery('api.example.com', 'A', { edns: opt(100) }))!.udpLimit, 512, 'never less than 512');
});

test('EDNS0, DO, RD and CD tell cached answers apart; letter case does not reach the variant', () => {
  const variants = [
    encodeQuery('api.example.com'),
    encodeQuery('api.example.com', 'A', { edns: opt(1232) }),
    encodeQuery('api.example.com', 'A', { edns: opt(1232, dnsPacket.DNSSEC_OK) }),
    encodeQuery('api.example.com', 'A', { flags: 0 }),
    encodeQuery('api.example.com', 'A', { flags: dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED }),
  ].map((m) => queryVariant(readQuery(m)!));
  assert.equal(new Set(variants).size, variants.length, variants.join(' '));
  assert.equal(queryVariant(readQuery(encodeQuery('API.example.com'))!), variants[0]);
});

test('what the proxy does not answer is refused as null, and no malformed bytes make it throw', () => {
  const good = encodeQuery('api.example.com', 'A', { edns: opt(1232) });
  assert.equal(readQuery(Buffer.from('hello')), null, 'shorter than a header');
  assert.equal(readQuery(dnsPacket.encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'a.example' }] })), null, 'a response');
  const status = Buffer.from(good);
  status.writeUInt16BE(2 << 11, 2);
  assert.equal(readQuery(status), null, 'opcode STATUS');
  for (let cut = 0; cut < good.length; cut++) assert.equal(readQuery(good.subarray(0, cut)), null, `cut at ${cut} bytes`);

  const extended = Buffer.from(good);
  extended[12] = 0x41; // label type 01: extended labels, obsolete
  assert.equal(readQuery(extended), null);
  const long = Buffer.concat([good.subarray(0, 12), Buffer.alloc(0), ...Array.from({ length: 5 }, () => Buffer.from([63, ...Buffer.alloc(63, 0x61)])), Buffer.from([0, 0, 1, 0, 1])]);
  long.writeUInt16BE(0, 10);
  assert.equal(readQuery(long), null, 'a name over 255 bytes');

  // Deterministic noise: every byte flipped in turn, and random bytes after a plausible header.
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < good.length; i++) {
    for (const value of [0x00, 0x3f, 0xc0, 0xff, Math.floor(random() * 256)]) {
      const bent = Buffer.from(good);
      bent[i] = value;
      assert.doesNotThrow(() => readQuery(bent));
    }
  }
  for (let i = 0; i < 2_000; i++) {
    const junk = Buffer.from(Array.from({ length: 12 + Math.floor(random() * 60) }, () => Math.floor(random() * 256)));
    junk.writeUInt16BE(0, 2);
    assert.doesNotThrow(() => readQuery(junk));
    assert.doesNotThrow(() => readAnswer(junk, asked(good).question));
  }
});

test('a query without exactly one question has question null (it is answered FORMERR)', () => {
  const none = readQuery(dnsPacket.encode({ type: 'query', id: 77, flags: 0, questions: [] }))!;
  assert.equal(none.question, null);
  const formerr = dnsPacket.decode(errorAnswer(none, RCODE.FORMERR));
  assert.equal(formerr.id, 77);
  assert.equal((formerr as { rcode?: string }).rcode, 'FORMERR');
  const two = readQuery(dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'a.example' }, { type: 'A', name: 'b.example' }] }))!;
  assert.equal(two.question, null);
});

/** A response built by hand with compression: answer owners point at the question, the CNAME target shares its suffix. */
function compressedAnswer(question: Buffer, id = 9): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x8180, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(3, 6); // CNAME, A of the target, A of a name off the chain
  header.writeUInt16BE(1, 10); // OPT
  const afterQuestion = 12 + question.length;
  const suffix = 12 + 1 + 'alias'.length; // "example.com" inside the question name
  const record = (owner: Buffer, type: number, ttl: number, rdata: Buffer) => {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(ttl, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([owner, fixed, rdata]);
  };
  const pointer = (to: number) => Buffer.from([0xc0 | (to >> 8), to & 0xff]);
  const cname = record(pointer(12), 5, 300, Buffer.concat([Buffer.from([3, ...Buffer.from('web')]), pointer(suffix)]));
  const target = afterQuestion + 12; // the CNAME's rdata: owner pointer (2) + fixed (10)
  const a = record(pointer(target), 1, 60, Buffer.from([203, 0, 113, 30]));
  const offChain = record(Buffer.from([5, ...Buffer.from('other'), 0]), 1, 60, Buffer.from([198, 51, 100, 1]));
  const optRecord = Buffer.from([0, 0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, 0]);
  return Buffer.concat([header, question, cname, a, offChain, optRecord]);
}

test('compressed names: the A record behind a compressed CNAME is learned, a name off the chain is not, OPT keeps its TTL field', () => {
  const q = asked(encodeQuery('ALIAS.example.com'));
  const message = compressedAnswer(Buffer.from(q.question.toString('latin1').toLowerCase(), 'latin1')); // the upstream echoes it lower-cased
  const decoded = dnsPacket.decode(message); // dns-packet agrees on what the bytes say
  assert.deepEqual(decoded.answers!.map((r) => [r.name, r.type, (r as { data: string }).data]), [
    ['alias.example.com', 'CNAME', 'web.example.com'], ['web.example.com', 'A', '203.0.113.30'], ['other', 'A', '198.51.100.1'],
  ]);
  const answer = readAnswer(message, q.question)!;
  assert.ok(answer, 'letter case does not matter');
  assert.deepEqual(answer.ips, ['203.0.113.30']);
  assert.equal(answer.ipTtl, 60);
  assert.equal(answer.minTtl, 60);
  assert.equal(answer.ttlOffsets.length, 3, 'the OPT record has flags where a TTL would be: left alone');

  const name = readName(message, message.length - 11 - 21); // the off-chain record's owner: uncompressed
  assert.equal(name && nameText(name.wire), 'other');
  const viaPointers = readName(message, 12 + q.question.length + 12)!; // the CNAME target: "web" + pointer
  assert.equal(nameText(viaPointers.wire), 'web.example.com');
  assert.equal(viaPointers.compressed, true);
});

test('pointers must point backwards: loops and forward pointers are refused', () => {
  const loop = Buffer.concat([Buffer.alloc(12), Buffer.from([0xc0, 12])]);
  assert.equal(readName(loop, 12), null, 'a pointer to itself');
  const forward = Buffer.concat([Buffer.alloc(12), Buffer.from([0xc0, 14, 1, 0x61, 0])]);
  assert.equal(readName(forward, 12), null);
  const twoStep = Buffer.concat([Buffer.alloc(12), Buffer.from([1, 0x61, 0, 1, 0x62, 0xc0, 12])]);
  assert.equal(nameText(readName(twoStep, 15)!.wire), 'b.a');
  const pingPong = Buffer.concat([Buffer.alloc(12), Buffer.from([1, 0x61, 0xc0, 16, 1, 0x62, 0xc0, 12])]);
  assert.equal(readName(pingPong, 16), null, 'a -> b -> a');
});

test('an upstream message that does not answer the question is not taken', () => {
  const q = asked(encodeQuery('api.example.com'));
  const response = (name: string, type: 'A' | 'AAAA' = 'A', kind: 'response' | 'query' = 'response') =>
    dnsPacket.encode({ type: kind, id: 1, flags: 0, questions: [{ type, name }], answers: [] });
  assert.ok(readAnswer(response('api.example.com'), q.question));
  assert.equal(readAnswer(response('apx.example.com'), q.question), null);
  assert.equal(readAnswer(response('api.example.com', 'AAAA'), q.question), null);
  assert.equal(readAnswer(response('api.example.com', 'A', 'query'), q.question), null);
  const full = dnsPacket.encode({ type: 'response', id: 1, questions: [{ type: 'A', name: 'api.example.com' }], answers: [{ type: 'A', name: 'api.example.com', ttl: 5, data: '203.0.113.10' }] });
  for (let cut = 0; cut < full.length; cut++) assert.equal(readAnswer(full.subarray(0, cut), q.question), null, `cut at ${cut} bytes`);
});

test('answers the proxy writes: its own id and question case, echoed OPT, TC for retry over TCP', () => {
  const q = asked(encodeQuery('Api.Example.COM', 'A', { id: 31337, edns: opt(1232) }));
  const nx = dnsPacket.decode(errorAnswer(q, RCODE.NXDOMAIN));
  assert.equal(nx.id, 31337);
  assert.equal((nx as { rcode?: string }).rcode, 'NXDOMAIN');
  assert.equal(nx.flag_ra, true);
  assert.equal(nx.flag_rd, true);
  assert.deepEqual(nx.questions, [{ name: 'Api.Example.COM', type: 'A', class: 'IN' }]);
  assert.deepEqual(nx.additionals!.map((a) => [a.type, (a as { udpPayloadSize: number }).udpPayloadSize]), [['OPT', 1232]]);
  assert.deepEqual(dnsPacket.decode(errorAnswer(asked(encodeQuery('a.example')), RCODE.SERVFAIL)).additionals, [], 'no OPT without EDNS0');

  const upstream = dnsPacket.encode({ type: 'response', id: 5, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: [{ type: 'A', name: 'api.example.com' }],
    answers: [{ type: 'A', name: 'api.example.com', ttl: 60, data: '203.0.113.10' }] });
  const fitted = dnsPacket.decode(fitAnswer(upstream, q));
  assert.equal(fitted.id, 31337);
  assert.equal(fitted.questions![0].name, 'Api.Example.COM');
  assert.equal((fitted.answers![0] as { data: string }).data, '203.0.113.10');

  const cut = dnsPacket.decode(truncatedAnswer(upstream, q));
  assert.equal(cut.flag_tc, true);
  assert.equal(cut.id, 31337);
  assert.deepEqual(cut.answers, []);
  assert.equal(cut.questions![0].name, 'Api.Example.COM');
});

/**
 * The egress DNS proxy over real sockets on 127.0.0.1 and a real upstream (Debian's dnsmasq). Clients bind
 * different loopback addresses to be different sources: 127.0.0.1 is in group "office" (enforce), 127.0.0.3 in
 * "contractors" (audit), 127.0.0.2 in no group. The data plane is a recording stand-in here; the e2e test runs
 * the real nft engine.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import dnsPacket from 'dns-packet';
import pino from 'pino';
import type { DnsPolicy } from '../../src/modules/egress/compiler/compiled.types.js';
import { createDnsCache, type DnsCache } from '../../src/modules/egress/dns/dns-cache.js';
import { createDnsProxy, type DnsDenyFinding, type DnsProxy, type DnsProxyDeps } from '../../src/modules/egress/dns/dns-proxy.js';
import { egressServices } from '../../src/modules/egress/egress.services.js';
import { createTestRampart } from '../helpers/app.js';
import { addresses, BIG_COUNT, bigAddresses, DNSMASQ, encodeQuery, LOCAL_TTL, startDnsmasq, tcpExchange, udpExchange, udpQuery } from '../helpers/dns-lab.js';
import { skipUnlessPrograms } from '../helpers/e2e.js';
import { signIn } from '../helpers/identity.js';

const GRACE = 30;

const policy = (overrides: Partial<DnsPolicy> = {}): DnsPolicy => ({
  generation: 1,
  default_policy: 'deny',
  groups: [
    {
      id: 'office', policy_id: 'pol-1', mode: 'enforce', sources: ['127.0.0.1/32'],
      rules: [
        { id: 'allow-api', action: 'allow', mode: 'enforce', hostname: '^api\\.example\\.com$', set: 'dns_office_api' },
        { id: 'allow-more', action: 'allow', mode: 'enforce', hostname: '^(big|alias)\\.example\\.com$', set: 'dns_office_more' },
      ],
    },
    {
      id: 'contractors', policy_id: 'pol-1', mode: 'audit', sources: ['127.0.0.3'],
      rules: [{ id: 'allow-api', action: 'allow', mode: 'audit', hostname: '^api\\.example\\.com$', set: 'dns_contractors_api' }],
    },
  ],
  ...overrides,
});

// ---- the proxy under test --------------------------------------------------------------------------------

interface Learned {
  set: string;
  ips: string[];
  timeoutSeconds: number;
  doneAt: number;
}

class RecordingDataplane {
  learned: Learned[] = [];
  fail = false;
  async learn(set: string, ips: string[], timeoutSeconds: number): Promise<void> {
    await new Promise((r) => setTimeout(r, 30)); // an nft call takes a moment; the answer must wait for it
    if (this.fail) throw new Error('nft: No such file or directory');
    this.learned.push({ set, ips: [...ips].sort(), timeoutSeconds, doneAt: Date.now() });
  }
}

describe('egress DNS proxy', { skip: skipUnlessPrograms(DNSMASQ) }, () => {
  let upstream: { port: number; proc: ChildProcess };
  let proxy: DnsProxy;
  let current: DnsPolicy | null;
  let dataplane: RecordingDataplane;
  let findings: DnsDenyFinding[];
  let cache: DnsCache;
  const started: DnsProxy[] = [];

  async function start(overrides: Partial<DnsProxyDeps> = {}): Promise<DnsProxy> {
    const p = await createDnsProxy({
      listen: '127.0.0.1:0', upstreams: [`127.0.0.1:${upstream.port}`], upstreamTimeoutMs: 1_000, ttlGraceS: GRACE, nodeId: 'gw-test',
      dnsPolicy: () => current, dataplane: () => dataplane, findings: { record: (f) => findings.push(f) }, cache,
      logger: pino({ level: 'silent' }), now: () => new Date(), ...overrides,
    });
    started.push(p);
    return p;
  }

  before(async () => {
    upstream = await startDnsmasq();
  });
  after(async () => {
    for (const p of started) await p.stop();
    upstream?.proc.kill('SIGKILL');
  });
  beforeEach(async () => {
    current = policy();
    dataplane = new RecordingDataplane();
    findings = [];
    cache = createDnsCache();
    proxy = await start();
  });

  test('an allowed name is answered after its address is in the rule set, with timeout TTL + grace', async () => {
    const reply = await udpQuery(proxy.address.port, 'api.example.com', 'A', { id: 777 });
    const answeredAt = Date.now();
    assert.equal(reply.packet.id, 777);
    assert.equal(reply.packet.rcode, 'NOERROR');
    assert.deepEqual(addresses(reply.packet), ['203.0.113.10']);
    assert.equal(dataplane.learned.length, 1);
    const [learned] = dataplane.learned;
    assert.deepEqual({ ...learned, doneAt: 0 }, { set: 'dns_office_api', ips: ['203.0.113.10'], timeoutSeconds: LOCAL_TTL + GRACE, doneAt: 0 });
    assert.ok(learned.doneAt <= answeredAt, 'the set was updated before the answer arrived');
    assert.deepEqual(cache.entries().map(({ hostname, ips }) => ({ hostname, ips })), [{ hostname: 'api.example.com', ips: ['203.0.113.10'] }]);
    assert.equal(cache.hostnameOf('203.0.113.10'), 'api.example.com');
    assert.deepEqual(findings, []);

  });

  test('A records behind a CNAME chain are learned under the queried name', async () => {
    const reply = await udpQuery(proxy.address.port, 'alias.example.com', 'A');
    assert.deepEqual(addresses(reply.packet), ['203.0.113.30']);
    assert.deepEqual(dataplane.learned.map(({ set, ips }) => ({ set, ips })), [{ set: 'dns_office_more', ips: ['203.0.113.30'] }]);
    assert.deepEqual(cache.entries().map((e) => e.hostname), ['alias.example.com']);
  });

  test('a cached answer goes out with the client\'s id and letter case; EDNS0 and plain clients each get their own', async () => {
    const port = proxy.address.port;
    await udpQuery(port, 'api.example.com', 'A');
    const mixed = await udpQuery(port, 'API.Example.COM', 'A', { id: 99 });
    assert.equal(mixed.packet.id, 99);
    assert.deepEqual(mixed.packet.questions?.map((q) => q.name), ['API.Example.COM']);
    assert.deepEqual(addresses(mixed.packet), ['203.0.113.10']);
    assert.equal(proxy.stats().cache_hits, 1);
    // The cached answer still goes through the set, before the client has it.
    assert.deepEqual(dataplane.learned.map((l) => l.set), ['dns_office_api', 'dns_office_api']);

    const edns = await udpQuery(port, 'api.example.com', 'A', { edns: 1232 });
    assert.deepEqual(edns.packet.additionals?.map((a) => a.type), ['OPT']);
    const plain = await udpQuery(port, 'api.example.com', 'A');
    assert.deepEqual(plain.packet.additionals, [], 'no OPT record for a client that sent none');
    assert.equal(proxy.stats().cache_hits, 2);
  });

  test('clients asking the same uncached question at once share one upstream query', async () => {
    const asked: number[] = [];
    const slow = createSocket('udp4'); // answers every query after 100 ms, counting them
    slow.on('message', (message, from) => {
      const query = dnsPacket.decode(message);
      asked.push(query.id!);
      const answer = dnsPacket.encode({ type: 'response', id: query.id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: query.questions,
        answers: [{ type: 'A', name: query.questions![0].name, ttl: 60, data: '203.0.113.10' }] });
      setTimeout(() => slow.send(answer, from.port, from.address), 100);
    });
    await new Promise<void>((resolve) => slow.bind(0, '127.0.0.1', resolve));
    try {
      const sharing = await start({ upstreams: [`127.0.0.1:${slow.address().port}`] });
      const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => udpQuery(sharing.address.port, i % 2 ? 'API.example.com' : 'api.example.com', 'A', { id: 100 + i })));
      assert.deepEqual(replies.map((r) => [r.packet.id, addresses(r.packet)]), Array.from({ length: 10 }, (_, i) => [100 + i, ['203.0.113.10']]));
      assert.equal(asked.length, 1, 'one upstream query for ten clients');
      await udpQuery(sharing.address.port, 'api.example.com', 'A');
      assert.equal(asked.length, 1, 'then answered from the cache');
    } finally {
      slow.close();
    }
  });

  test('a name no rule allows gets NXDOMAIN (same id, question echoed, RA set) and a dns_deny finding', async () => {
    const reply = await udpQuery(proxy.address.port, 'blocked.example.com', 'A', { id: 31337 });
    assert.equal(reply.packet.id, 31337);
    assert.equal(reply.packet.rcode, 'NXDOMAIN');
    assert.equal(reply.packet.flag_ra, true);
    assert.equal(reply.packet.flag_rd, true);
    assert.deepEqual(reply.packet.questions, [{ name: 'blocked.example.com', type: 'A', class: 'IN' }]);
    assert.deepEqual(reply.packet.answers, []);
    assert.equal(dataplane.learned.length, 0);
    assert.equal(findings.length, 1);
    const { at, ...finding } = findings[0];
    assert.deepEqual(finding, { finding_type: 'dns_deny', policy_id: 'pol-1', source_group: 'office', hostname: 'blocked.example.com', query_type: 1, node_id: 'gw-test' });
    assert.ok(Math.abs(at - Date.now() / 1000) < 5);
    // Findings carry the DNS type as a number, as Neuwerk's do: AAAA is 28.
    await udpQuery(proxy.address.port, 'blocked.example.com', 'AAAA');
    assert.equal(findings[1].query_type, 28);
  });

  test('each query counts as a hit for the group claiming the client (GET /api/v1/policy/telemetry)', async () => {
    const hits: string[] = [];
    const counting = await start({ telemetry: { recordHit: (group) => hits.push(group) } });
    await udpQuery(counting.address.port, 'api.example.com', 'A');
    await udpQuery(counting.address.port, 'blocked.example.com', 'A');
    assert.deepEqual(hits, ['office', 'office']);
  });

  test('in audit mode a denied name is forwarded and recorded, and nothing is learned for it', async () => {
    const reply = await udpQuery(proxy.address.port, 'blocked.example.com', 'A', { from: '127.0.0.3' });
    assert.equal(reply.packet.rcode, 'NOERROR');
    assert.deepEqual(addresses(reply.packet), ['203.0.113.20']);
    assert.deepEqual(findings.map((f) => [f.source_group, f.hostname]), [['contractors', 'blocked.example.com']]);
    assert.equal(dataplane.learned.length, 0);
    // The audit group's allowed name is learned into its own set, without a finding.
    await udpQuery(proxy.address.port, 'api.example.com', 'A', { from: '127.0.0.3' });
    assert.deepEqual(dataplane.learned.map((l) => l.set), ['dns_contractors_api']);
    assert.equal(findings.length, 1);
  });

  test('a client no group claims gets default_policy: deny is NXDOMAIN + finding, allow forwards', async () => {
    const denied = await udpQuery(proxy.address.port, 'api.example.com', 'A', { from: '127.0.0.2' });
    assert.equal(denied.packet.rcode, 'NXDOMAIN');
    assert.deepEqual(findings.map((f) => [f.source_group, f.policy_id, f.hostname]), [['default', '', 'api.example.com']]);

    current = policy({ default_policy: 'allow' });
    const allowed = await udpQuery(proxy.address.port, 'blocked.example.com', 'A', { from: '127.0.0.2' });
    assert.deepEqual(addresses(allowed.packet), ['203.0.113.20']);
    assert.deepEqual(dataplane.learned, [], 'no rule allowed it, so there is no set to learn into');
    assert.equal(findings.length, 1);
  });

  test('before the first generation every query is forwarded', async () => {
    current = null;
    const reply = await udpQuery(proxy.address.port, 'blocked.example.com', 'A');
    assert.deepEqual(addresses(reply.packet), ['203.0.113.20']);
    assert.deepEqual(findings, []);
  });

  test('upstreams are tried in order; when all time out the client gets SERVFAIL', async () => {
    const silent = createSocket('udp4'); // receives queries, never answers
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const blackhole = `127.0.0.1:${silent.address().port}`;
      const dead = await start({ upstreams: [blackhole], upstreamTimeoutMs: 300 });
      const failed = await udpQuery(dead.address.port, 'api.example.com', 'A', { id: 9 });
      assert.equal(failed.packet.id, 9);
      assert.equal(failed.packet.rcode, 'SERVFAIL');
      assert.deepEqual(failed.packet.questions?.map((q) => q.name), ['api.example.com']);
      assert.ok(failed.ms >= 280, `answered after ${failed.ms} ms, before the timeout`);
      assert.deepEqual(dataplane.learned, []);

      const fallback = await start({ upstreams: [blackhole, `127.0.0.1:${upstream.port}`], upstreamTimeoutMs: 300 });
      const answered = await udpQuery(fallback.address.port, 'api.example.com', 'A');
      assert.deepEqual(addresses(answered.packet), ['203.0.113.10']);
    } finally {
      silent.close();
    }
  });

  test('a set that cannot be updated gives SERVFAIL, not an address the firewall would refuse', async () => {
    dataplane.fail = true;
    const reply = await udpQuery(proxy.address.port, 'api.example.com', 'A');
    assert.equal(reply.packet.rcode, 'SERVFAIL');
    assert.deepEqual(cache.entries(), []);
  });

  test('a truncated upstream answer is fetched again over TCP; the client is told to retry over TCP', async () => {
    const udp = await udpQuery(proxy.address.port, 'big.example.com', 'A');
    assert.equal(udp.packet.flag_tc, true);
    assert.deepEqual(udp.packet.answers, []);
    assert.deepEqual(udp.packet.questions?.map((q) => q.name), ['big.example.com']);
    // dnsmasq sent a partial UDP answer; every address was learned, so the upstream was asked over TCP.
    assert.deepEqual(dataplane.learned.map((l) => l.ips), [[...bigAddresses].sort()]);

    const { replies } = await tcpExchange(proxy.address.port, [encodeQuery('big.example.com', 'A', { id: 5 })], 1);
    assert.equal(replies[0].id, 5);
    assert.equal(replies[0].flag_tc, false);
    assert.deepEqual(addresses(replies[0]), [...bigAddresses].sort());

    // A client advertising a large EDNS0 buffer gets everything over UDP.
    const edns = await udpQuery(proxy.address.port, 'big.example.com', 'A', { edns: 4096 });
    assert.equal(edns.packet.flag_tc, false);
    assert.equal(addresses(edns.packet).length, BIG_COUNT);
  });

  test('TCP: several queries on one connection, split anywhere, answered by id; denials too', async () => {
    const { replies, closed } = await tcpExchange(proxy.address.port, [
      encodeQuery('api.example.com', 'A', { id: 1 }),
      encodeQuery('blocked.example.com', 'A', { id: 2 }),
      encodeQuery('alias.example.com', 'A', { id: 3 }),
    ], 3, true);
    assert.equal(closed, false);
    const byId = new Map(replies.map((r) => [r.id, r]));
    assert.deepEqual(addresses(byId.get(1)!), ['203.0.113.10']);
    assert.equal(byId.get(2)!.rcode, 'NXDOMAIN');
    assert.deepEqual(addresses(byId.get(3)!), ['203.0.113.30']);
    assert.equal(findings.length, 1);
  });

  test('an idle TCP connection is closed', async () => {
    const idle = await start({ tcpIdleTimeoutMs: 200 });
    const socket = connect({ host: '127.0.0.1', port: idle.address.port });
    const started = Date.now();
    await new Promise<void>((resolve) => socket.on('close', () => resolve()).on('error', () => {}));
    assert.ok(Date.now() - started >= 150);
  });

  test('malformed input is dropped (UDP) or closes the connection (TCP); the proxy keeps answering', async () => {
    const port = proxy.address.port;
    for (const junk of [Buffer.from('hello'), Buffer.alloc(12, 0xff), Buffer.concat([encodeQuery('api.example.com', 'A').subarray(0, 20)])]) {
      await assert.rejects(udpExchange(port, junk, { timeoutMs: 300 }), /no answer/);
    }
    // A response sent to the proxy is not answered (no loops between resolvers).
    const response = dnsPacket.encode({ type: 'response', id: 1, flags: 0, questions: [{ type: 'A', name: 'api.example.com' }], answers: [] });
    await assert.rejects(udpExchange(port, response, { timeoutMs: 300 }), /no answer/);
    // A query without a question is answered FORMERR.
    const empty = await udpExchange(port, dnsPacket.encode({ type: 'query', id: 77, flags: 0, questions: [] }));
    assert.equal(empty.packet.rcode, 'FORMERR');
    assert.equal(empty.packet.id, 77);

    const tcp = await tcpExchange(port, [Buffer.from('not dns at all')], 1);
    assert.equal(tcp.closed, true);
    assert.deepEqual(tcp.replies, []);

    assert.deepEqual(addresses((await udpQuery(port, 'api.example.com', 'A')).packet), ['203.0.113.10']);
  });
});

describe('GET /api/v1/dns-cache', { skip: skipUnlessPrograms(DNSMASQ) }, () => {
  test('lists what the proxy answered, sorted by hostname; readonly may read it, anonymous may not', async () => {
    const upstream = await startDnsmasq();
    const r = await createTestRampart();
    const services = egressServices(r.core);
    const proxy = await createDnsProxy({
      listen: '127.0.0.1:0', upstreams: [`127.0.0.1:${upstream.port}`], upstreamTimeoutMs: 1_000, ttlGraceS: GRACE, nodeId: 'gw',
      dnsPolicy: () => null, dataplane: () => null, findings: null, cache: services.dnsCache, logger: pino({ level: 'silent' }), now: () => new Date(),
    });
    try {
      const before = Math.floor(Date.now() / 1000);
      for (const name of ['web.example.com', 'api.example.com', 'big.example.com']) await udpQuery(proxy.address.port, name, 'A', { edns: 4096 });
      const reader = await signIn(r, { roles: ['readonly'] });
      const res = await r.app.inject({ method: 'GET', url: '/api/v1/dns-cache', headers: reader.headers });
      assert.equal(res.statusCode, 200, res.body);
      const { entries } = res.json();
      assert.deepEqual(entries.map((e: any) => [e.hostname, e.ips.length]), [['api.example.com', 1], ['big.example.com', BIG_COUNT], ['web.example.com', 1]]);
      assert.deepEqual(entries[0].ips, ['203.0.113.10']);
      assert.ok(entries.every((e: any) => Number.isInteger(e.last_seen) && e.last_seen >= before));

      const anonymous = await r.app.inject({ method: 'GET', url: '/api/v1/dns-cache' });
      assert.equal(anonymous.statusCode, 401);
      assert.equal(typeof anonymous.json().error, 'string');
    } finally {
      await proxy.stop();
      upstream.proc.kill('SIGKILL');
      await r.cleanup();
    }
  });
});

describe('GET /api/v1/stats counts what the DNS proxy decided', { skip: skipUnlessPrograms(DNSMASQ) }, () => {
  test('queries allowed and denied, NXDOMAIN by policy and from upstream rise with each query', async () => {
    const upstream = await startDnsmasq();
    const r = await createTestRampart();
    const services = egressServices(r.core);
    const proxy = await createDnsProxy({
      listen: '127.0.0.1:0', upstreams: [`127.0.0.1:${upstream.port}`], upstreamTimeoutMs: 1_000, ttlGraceS: GRACE, nodeId: 'gw',
      dnsPolicy: () => policy({ default_policy: 'allow' }), dataplane: () => null, findings: null, cache: services.dnsCache,
      logger: pino({ level: 'silent' }), now: () => new Date(),
    });
    services.dnsProxy = proxy;
    try {
      const reader = await signIn(r, { roles: ['readonly'] });
      const dns = async () => {
        const res = await r.app.inject({ method: 'GET', url: '/api/v1/stats', headers: reader.headers });
        assert.equal(res.statusCode, 200, res.body);
        const { queries_allow, queries_deny, nxdomain_policy, nxdomain_upstream, proxy_running } = res.json().dns;
        return { queries_allow, queries_deny, nxdomain_policy, nxdomain_upstream, proxy_running };
      };
      assert.deepEqual(await dns(), { queries_allow: 0, queries_deny: 0, nxdomain_policy: 0, nxdomain_upstream: 0, proxy_running: true });

      // 127.0.0.1 is in group "office": api.example.com is allowed, blocked.example.com denied by policy.
      assert.equal((await udpQuery(proxy.address.port, 'api.example.com', 'A')).packet.rcode, 'NOERROR');
      assert.equal((await udpQuery(proxy.address.port, 'api.example.com', 'A')).packet.rcode, 'NOERROR');
      assert.equal((await udpQuery(proxy.address.port, 'blocked.example.com', 'A')).packet.rcode, 'NXDOMAIN');
      assert.deepEqual(await dns(), { queries_allow: 2, queries_deny: 1, nxdomain_policy: 1, nxdomain_upstream: 0, proxy_running: true });

      // 127.0.0.2 is in no group and default_policy allows: a name the upstream does not know is its NXDOMAIN.
      assert.equal((await udpQuery(proxy.address.port, 'nx.example.com', 'A', { from: '127.0.0.2' })).packet.rcode, 'NXDOMAIN');
      assert.deepEqual(await dns(), { queries_allow: 3, queries_deny: 1, nxdomain_policy: 1, nxdomain_upstream: 1, proxy_running: true });
    } finally {
      services.dnsProxy = null;
      await proxy.stop();
      upstream.proc.kill('SIGKILL');
      await r.cleanup();
    }
  });
});

test('the DNS cache is bounded: the least recently seen names and addresses go first', () => {
  const cache = createDnsCache({ maxHostnames: 2, maxAddresses: 3 });
  cache.remember('a.example', ['192.0.2.1'], 1);
  cache.remember('b.example', ['192.0.2.2'], 2);
  cache.remember('a.example', ['192.0.2.1'], 3);
  cache.remember('c.example', ['192.0.2.3', '192.0.2.4'], 4);
  assert.deepEqual(cache.entries(), [
    { hostname: 'a.example', ips: ['192.0.2.1'], last_seen: 3 },
    { hostname: 'c.example', ips: ['192.0.2.3', '192.0.2.4'], last_seen: 4 },
  ]);
  assert.equal(cache.hostnameOf('192.0.2.2'), null);
  assert.equal(cache.hostnameOf('192.0.2.4'), 'c.example');
});

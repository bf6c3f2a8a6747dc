import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compilePolicy } from '../../src/modules/egress/compiler/compile.js';
import { evaluateDns } from '../../src/modules/egress/compiler/evaluate-dns.js';
import { parseIp } from '../../src/modules/egress/compiler/cidr.js';
import { evaluatePacket, ruleMatches, type Packet } from '../../src/modules/egress/compiler/evaluate-packet.js';
import { mergeRules } from '../../src/modules/egress/compiler/merge-rules.js';
import { buildProgram } from '../../src/modules/egress/compiler/program.js';
import { claimRanges, rangeOwners } from '../../src/modules/egress/compiler/source-ranges.js';
import type { EffectiveGroup, EffectivePolicy, EffectiveRule } from '../../src/modules/egress/policy/policy.types.js';
import { skipUnlessPrograms } from '../helpers/e2e.js';
import { NetnsLab } from '../helpers/netns.js';

const TCP = 6;
const UDP = 17;
const ICMP = 1;

function group(id: string, sources: string[], rules: EffectiveRule[], extra: Partial<EffectiveGroup> = {}): EffectiveGroup {
  return { id, policy_id: 'p1', mode: 'enforce', sources, rules, default_action: 'deny', ...extra };
}

function policy(groups: EffectiveGroup[], default_policy: 'allow' | 'deny' = 'deny'): EffectivePolicy {
  return { generation: 7, default_policy, groups };
}

const tcp = (src: string, dst: string, dport: number, sport = 40000): Packet => ({ src, dst, proto: TCP, sport, dport });
const decide = (p: EffectivePolicy, packet: Packet, learned?: (set: string, ip: string) => boolean) =>
  evaluatePacket(buildProgram(p), packet, learned);

const office = group('office', ['10.20.0.0/16'], [
  { id: 'web', action: 'allow', match: { proto: 'tcp', dst_ports: [443, '8000-8080'] } },
  { id: 'no-smtp', action: 'deny', match: { proto: 'tcp', dst_ports: [25] } },
  { id: 'dns-out', action: 'allow', match: { proto: 'udp', dst_ips: ['192.0.2.53'], dst_ports: [53] } },
]);

test('first matching rule decides; no match falls to the group default; unclaimed sources get default_policy', () => {
  const p = policy([office]);
  assert.deepEqual(decide(p, tcp('10.20.1.1', '203.0.113.9', 443)), { verdict: 'accept', group: 'office', rule: 'web', recorded: null });
  assert.equal(decide(p, tcp('10.20.1.1', '203.0.113.9', 8080)).verdict, 'accept', 'range upper bound');
  assert.equal(decide(p, tcp('10.20.1.1', '203.0.113.9', 8081)).verdict, 'drop', 'just past the range');
  assert.deepEqual(decide(p, tcp('10.20.1.1', '203.0.113.9', 25)), { verdict: 'drop', group: 'office', rule: 'no-smtp', recorded: 'deny' });
  assert.deepEqual(decide(p, tcp('10.20.1.1', '203.0.113.9', 22)), { verdict: 'drop', group: 'office', rule: null, recorded: 'deny' });
  assert.equal(decide(p, { src: '10.20.1.1', dst: '192.0.2.53', proto: UDP, dport: 53 }).verdict, 'accept');
  assert.equal(decide(p, { src: '10.20.1.1', dst: '192.0.2.54', proto: UDP, dport: 53 }).verdict, 'drop', 'other destination');
  assert.equal(decide(p, { src: '10.20.1.1', dst: '192.0.2.53', proto: TCP, dport: 53 }).verdict, 'drop', 'other protocol');
  assert.deepEqual(decide(p, tcp('10.99.0.1', '203.0.113.9', 443)), { verdict: 'drop', group: null, rule: null, recorded: null });
  assert.equal(decide(policy([office], 'allow'), tcp('10.99.0.1', '203.0.113.9', 22)).verdict, 'accept');
});

test('rule order matters: an earlier deny shadows a later allow', () => {
  const g = group('g', ['10.0.0.0/8'], [
    { id: 'deny-one', action: 'deny', match: { dst_cidrs: ['198.51.100.7/32'] } },
    { id: 'allow-net', action: 'allow', match: { dst_cidrs: ['198.51.100.0/24'] } },
  ]);
  assert.equal(decide(policy([g]), tcp('10.1.1.1', '198.51.100.7', 80)).rule, 'deny-one');
  assert.equal(decide(policy([g]), tcp('10.1.1.1', '198.51.100.8', 80)).rule, 'allow-net');
});

test('a source in two groups belongs to the first; the second never sees it', () => {
  const strict = group('strict', ['10.20.5.0/24'], []);
  const p = policy([strict, group('open', ['10.20.0.0/16'], [], { default_action: 'allow' })]);
  assert.equal(decide(p, tcp('10.20.5.9', '203.0.113.9', 443)).group, 'strict');
  assert.equal(decide(p, tcp('10.20.5.9', '203.0.113.9', 443)).verdict, 'drop');
  assert.equal(decide(p, tcp('10.20.6.9', '203.0.113.9', 443)).verdict, 'accept');
});

test('audit mode lets denied traffic through and records it; a rule mode overrides the group mode', () => {
  const audited = group('a', ['10.0.0.0/8'], [
    { id: 'deny-22', action: 'deny', match: { proto: 'tcp', dst_ports: [22] } },
    { id: 'enforced-23', action: 'deny', mode: 'enforce', match: { proto: 'tcp', dst_ports: [23] } },
  ], { mode: 'audit' });
  const p = policy([audited]);
  assert.deepEqual(decide(p, tcp('10.0.0.1', '203.0.113.1', 22)), { verdict: 'accept', group: 'a', rule: 'deny-22', recorded: 'audit' });
  assert.deepEqual(decide(p, tcp('10.0.0.1', '203.0.113.1', 80)), { verdict: 'accept', group: 'a', rule: null, recorded: 'audit' });
  assert.deepEqual(decide(p, tcp('10.0.0.1', '203.0.113.1', 23)), { verdict: 'drop', group: 'a', rule: 'enforced-23', recorded: 'deny' });

  const enforcedGroup = group('e', ['10.0.0.0/8'], [{ id: 'try', action: 'deny', mode: 'audit', match: { proto: 'tcp', dst_ports: [22] } }]);
  assert.deepEqual(decide(policy([enforcedGroup]), tcp('10.0.0.1', '203.0.113.1', 22)).recorded, 'audit');
  assert.deepEqual(decide(policy([enforcedGroup]), tcp('10.0.0.1', '203.0.113.1', 80)).verdict, 'drop');
  const sets = compilePolicy(policy([enforcedGroup])).denySets;
  assert.deepEqual(sets.map((s) => s.audit).sort(), [false, true], 'both kinds of record sets exist for findings');
});

test('ICMP types and codes, IPv6 destinations and sources, source ports', () => {
  const g = group('g', ['10.0.0.0/8', '2001:db8:1::/48'], [
    { id: 'ping', action: 'allow', match: { icmp_types: [8], icmp_codes: [0] } },
    { id: 'v6-web', action: 'allow', match: { dst_cidrs: ['2001:db8:ffff::/64'], proto: 6, dst_ports: [443] } },
    { id: 'from-ntp', action: 'allow', match: { proto: 'udp', src_ports: [123] } },
  ]);
  const p = policy([g]);
  assert.equal(decide(p, { src: '10.0.0.1', dst: '203.0.113.1', proto: ICMP, icmpType: 8, icmpCode: 0 }).rule, 'ping');
  assert.deepEqual(decide(p, { src: '10.0.0.1', dst: '203.0.113.1', proto: ICMP, icmpType: 13, icmpCode: 0 }), { verdict: 'drop', group: 'g', rule: null, recorded: 'deny' });
  assert.equal(decide(p, tcp('2001:db8:1::5', '2001:db8:ffff::1', 443)).rule, 'v6-web');
  assert.deepEqual(decide(p, tcp('2001:db8:1::5', '2001:db8:fffe::1', 443)), { verdict: 'drop', group: 'g', rule: null, recorded: null }, 'IPv6 is dropped unrecorded');
  assert.equal(decide(p, { src: '10.0.0.1', dst: '203.0.113.1', proto: UDP, sport: 123, dport: 5000 }).rule, 'from-ntp');
  assert.equal(decide(p, { src: '10.0.0.1', dst: '203.0.113.1', proto: UDP, sport: 124, dport: 5000 }).verdict, 'drop');
});

test('a dns_hostname allow rule admits only the addresses DNS answers put in its set', () => {
  const g = group('g', ['10.0.0.0/8'], [{ id: 'api', action: 'allow', match: { dns_hostname: '^api\\.example\\.com$', proto: 'tcp', dst_ports: [443] } }]);
  const compiled = compilePolicy(policy([g]));
  const set = compiled.dns.groups[0].rules[0].set!;
  const learned = (s: string, ip: string) => s === set && ip === '203.0.113.20';
  assert.equal(decide(policy([g]), tcp('10.0.0.1', '203.0.113.20', 443), learned).rule, 'api');
  assert.equal(decide(policy([g]), tcp('10.0.0.1', '203.0.113.21', 443), learned).verdict, 'drop');
  assert.equal(decide(policy([g]), tcp('10.0.0.1', '203.0.113.20', 80), learned).verdict, 'drop');
  assert.equal(compilePolicy({ ...policy([g]), generation: 8 }).dns.groups[0].rules[0].set, set, 'the set keeps its name across generations');
});

test('what packets cannot check fails closed: TLS allow rules allow nothing, DNS-only deny rules stay in DNS', () => {
  const g = group('g', ['10.0.0.0/8'], [
    { id: 'tls', action: 'allow', match: { proto: 'tcp', dst_ports: [443], tls: { sni: '^api\\.example\\.com$' } } },
    { id: 'no-evil', action: 'deny', match: { dns_hostname: 'evil' } },
  ], { default_action: 'allow' });
  const p = policy([{ ...g, default_action: 'deny' }]);
  assert.equal(decide(p, tcp('10.0.0.1', '203.0.113.1', 443)).verdict, 'drop');
  assert.equal(decide(policy([g]), tcp('10.0.0.1', '203.0.113.1', 80)).verdict, 'accept', 'the DNS deny does not block packets');
});

test('DNS: first claiming group, first matching rule, stricter no-match deny, audit, default_policy', () => {
  const dnsOffice = group('office', ['10.20.0.0/16'], [
    { id: 'deny-ads', action: 'deny', match: { dns_hostname: '^ads\\.example\\.com$' } },
    { id: 'example', action: 'allow', match: { dns_hostname: '\\.example\\.com$' } },
    { id: 'web', action: 'allow', match: { proto: 'tcp', dst_ports: [443] } },
  ], { default_action: 'allow' });
  const lab = group('lab', ['10.30.0.0/16', '2001:db8:30::/48'], [{ id: 'deny-x', action: 'deny', match: { dns_hostname: '^x\\.test$' } }], { mode: 'audit' });
  const { dns } = compilePolicy(policy([dnsOffice, lab]));

  const allowed = evaluateDns(dns, '10.20.0.5', 'API.Example.com.');
  assert.equal(allowed.allowed, true);
  assert.equal(allowed.rule?.id, 'example');
  assert.ok(allowed.rule?.set, 'an allow rule names the set its answers go into');
  const denied = evaluateDns(dns, '10.20.0.5', 'ads.example.com');
  assert.deepEqual([denied.allowed, denied.audited, denied.rule?.id, denied.rule?.set], [false, false, 'deny-ads', null]);
  const stricter = evaluateDns(dns, '10.20.0.5', 'other.org');
  assert.deepEqual([stricter.allowed, stricter.group?.id, stricter.rule], [false, 'office', null], 'group default allow does not open DNS');
  const audited = evaluateDns(dns, '2001:db8:30::9', 'x.test');
  assert.deepEqual([audited.allowed, audited.audited, audited.group?.policy_id], [true, true, 'p1']);
  assert.deepEqual([evaluateDns(dns, '10.30.0.1', 'nothing.test').allowed, evaluateDns(dns, '10.30.0.1', 'nothing.test').audited], [true, true]);
  assert.deepEqual(evaluateDns(dns, '10.99.0.1', 'api.example.com'), { allowed: false, audited: false, group: null, rule: null });
  assert.equal(evaluateDns(compilePolicy(policy([dnsOffice], 'allow')).dns, '10.99.0.1', 'anything').allowed, true);
});

test('overlapping and host-bit sources and destinations are normalised (nft refuses overlapping intervals)', () => {
  const g = group('g', ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.3', '10.9.9.9/8'], [{ id: 'r', action: 'allow', match: { dst_cidrs: ['203.0.113.0/24', '203.0.113.128/25'], dst_ips: ['203.0.113.7'] } }]);
  const program = buildProgram(policy([g]));
  assert.deepEqual(program.groups[0].sources4, ['10.0.0.0/8']);
  assert.deepEqual(program.groups[0].rules[0].daddr, ['203.0.113.0/24']);
});

/** A small deterministic generator, so a failing case can be replayed. */
function random(seed: number) {
  let x = seed;
  const next = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return { int: (n: number) => Math.floor(next() * n), pick: <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)] };
}

test('merging a chain\'s rules into blocks of one verdict decides every packet as first-match order does', () => {
  const rnd = random(42);
  const nets = ['198.51.100.0/24', '198.51.100.7/32', '198.51.100.128/25', '203.0.113.0/24', '2001:db8::/32'];
  const hosts = ['198.51.100.7', '198.51.100.200', '203.0.113.5', '192.0.2.1', '2001:db8::1'];
  const ports = [22, 53, 443, 8080];
  const randomRule = (i: number): EffectiveRule => {
    const match: EffectiveRule['match'] = {};
    if (rnd.int(2)) match.dst_cidrs = [rnd.pick(nets), ...(rnd.int(3) ? [] : [rnd.pick(nets)])];
    const kind = rnd.int(4);
    if (kind === 0) match.proto = rnd.pick(['tcp', 'udp']);
    if (kind === 1) Object.assign(match, { proto: rnd.pick(['tcp', 'udp']), dst_ports: [rnd.pick(ports), ...(rnd.int(2) ? ['400-500'] : [])] });
    if (kind === 2) match.icmp_types = [rnd.pick([0, 8])];
    return { id: `r${i}`, action: rnd.pick(['allow', 'deny'] as const), mode: rnd.int(4) ? undefined : 'audit', match };
  };
  let blocksSeen = 0;
  for (let trial = 0; trial < 300; trial++) {
    const rules = Array.from({ length: 2 + rnd.int(10) }, (_, i) => randomRule(i));
    const g = buildProgram(policy([group('g', ['10.0.0.0/8'], rules)])).groups[0];
    const blocks = mergeRules(g.rules);
    blocksSeen += blocks.length;
    assert.ok(blocks.every((b) => b.rules.length > 0));
    for (const dst of hosts) {
      for (const packet of [
        { src: '10.0.0.1', dst, proto: 6, sport: 40000, dport: rnd.pick([...ports, 450]) },
        { src: '10.0.0.1', dst, proto: 17, sport: 40000, dport: rnd.pick([...ports, 450]) },
        { src: '10.0.0.1', dst, proto: 1, icmpType: rnd.pick([0, 8]), icmpCode: 0 },
      ]) {
        const [src, d] = [parseIp(packet.src)!, parseIp(packet.dst)!];
        const first = g.rules.find((r) => ruleMatches(r, packet, src, d, () => false))!;
        const block = blocks.find((b) => b.rules.some((r) => ruleMatches(r, packet, src, d, () => false)))!;
        assert.equal(block.verdict, first.verdict, `trial ${trial}: ${JSON.stringify(rules)} ${JSON.stringify(packet)}`);
      }
    }
  }
  assert.ok(blocksSeen < 300 * 7, 'rules do get merged');
});

test('rules of one verdict share blocks across rules they cannot overlap with, and never across ones they can', () => {
  const chain = (...rules: Array<[string, 'allow' | 'deny', EffectiveRule['match']]>) =>
    buildProgram(policy([group('g', ['10.0.0.0/8'], rules.map(([id, action, match]) => ({ id, action, match })))])).groups[0].rules;
  const shape = (rules: ReturnType<typeof chain>) => mergeRules(rules).map((b) => [b.verdict, b.rules.map((r) => r.rule_id)]);
  // A UDP deny between two TCP allows: no packet matches both, so the allows merge and the deny joins the default.
  assert.deepEqual(shape(chain(['web', 'allow', { proto: 'tcp', dst_ports: [443] }], ['no-udp', 'deny', { proto: 'udp' }], ['http', 'allow', { proto: 'tcp', dst_ports: [80] }])), [
    ['accept', ['web', 'http']],
    ['drop', ['no-udp', null]],
  ]);
  // A TCP deny matches the second allow's packets: it keeps its place, and so does everything after it.
  assert.deepEqual(shape(chain(['web', 'allow', { proto: 'tcp', dst_ports: [443] }], ['no-tcp', 'deny', { proto: 'tcp' }], ['http', 'allow', { proto: 'tcp', dst_ports: [80] }])), [
    ['accept', ['web']],
    ['drop', ['no-tcp']],
    ['accept', ['http']],
    ['drop', [null]],
  ]);
});

test('a source in two groups: the map ranges give it to the first group only, with no overlap', () => {
  const claims = claimRanges(4, [
    { owner: 'strict', networks: ['10.20.5.0/24'] },
    { owner: 'open', networks: ['10.20.0.0/16'] },
    { owner: 'shadowed', networks: ['10.20.5.128/25'] },
  ]);
  assert.deepEqual(claims, [
    { owner: 'strict', ranges: ['10.20.5.0/24'] },
    { owner: 'open', ranges: ['10.20.0.0-10.20.4.255', '10.20.6.0-10.20.255.255'] },
    { owner: 'shadowed', ranges: [] },
  ]);
  const ownerOf = rangeOwners(4, claims);
  assert.deepEqual(['10.20.5.9', '10.20.4.255', '10.20.6.0', '10.21.0.1', '2001:db8::1'].map(ownerOf), ['strict', 'open', 'open', null, null]);
  const program = buildProgram(policy([group('a', ['10.20.5.0/24', '2001:db8:1::/48'], []), group('b', ['10.20.0.0/16', '2001:db8::/32'], [])]));
  assert.deepEqual(program.groups[1].claimed6, ['2001:db8::/48', '2001:db8:2::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff']);
});

let lab: NetnsLab | undefined;
after(async () => lab?.destroy());

test('nft accepts the compiled script (check mode in a namespace), long ids included', { skip: skipUnlessPrograms('ip', 'nft') }, () => {
  lab = NetnsLab.create(['gw']);
  const longId = `group-${'x'.repeat(300)} with spaces/and"quotes`;
  const groups = [
    office,
    group(longId, ['10.30.0.0/16', '2001:db8::/32'], [
      { id: 'ping6', action: 'allow', match: { proto: 'icmpv6', icmp_types: [128] } },
      { id: 'api', action: 'allow', match: { dns_hostname: '^api\\.example\\.com$', dst_ports: ['443'] } },
      { id: 'v6', action: 'deny', mode: 'audit', match: { dst_cidrs: ['2001:db8:ffff::/48', '198.51.100.0/24'] } },
      { id: 'tls', action: 'deny', match: { proto: 'tcp', tls: { sni: 'x' } } },
    ], { mode: 'audit' }),
    group('empty', [], []),
    // Sources partly claimed by office already, overlapping destinations within one merged lookup, learned sets shared.
    group('overlapping', ['10.20.5.0/24', '10.40.0.0/16'], [
      ...Array.from({ length: 14 }, (_, i): EffectiveRule => ({ id: `net${i}`, action: 'allow', match: { proto: 'tcp', dst_ports: [443, '400-500'], dst_cidrs: [`198.51.${i}.0/24`] } })),
      { id: 'wide', action: 'allow', match: { proto: 'tcp', dst_ports: [443], dst_cidrs: ['198.51.0.0/16'] } },
      { id: 'api', action: 'allow', match: { dns_hostname: '^api\\.example\\.com$', proto: 'tcp', dst_ports: [443, 8443] } },
      { id: 'www', action: 'allow', match: { dns_hostname: '^www\\.example\\.com$', proto: 'tcp', dst_ports: [443] } },
      { id: 'ranged', action: 'allow', match: { dns_hostname: '^r\\.example\\.com$', proto: 'tcp', dst_ports: ['8000-8100'] } },
    ]),
  ];
  for (const p of [policy(groups), policy(groups, 'allow'), policy([])]) {
    const file = join(lab.dir, 'ruleset.nft');
    const compiled = compilePolicy(p);
    writeFileSync(file, compiled.nft);
    const check = lab.exec('gw', 'nft', ['-c', '-f', file], true);
    assert.equal(check.status, 0, check.output);
    if (p.groups.length) {
      const shared = compiled.learned!.filter((b) => b.suffixes.length);
      assert.deepEqual(shared.map((b) => b.suffixes), [['6 . 443', '6 . 8443'], ['6 . 443']], 'api and www share one set, keyed by their ports');
      assert.equal(shared[0].set, shared[1].set);
      assert.ok(compiled.nft.includes('flags interval') && /ip saddr vmap @sources4/.test(compiled.nft));
    }
  }
  const broken = join(lab.dir, 'broken.nft');
  writeFileSync(broken, compilePolicy(policy(groups)).nft.replace('policy drop', 'policy maybe'));
  assert.notEqual(lab.exec('gw', 'nft', ['-c', '-f', broken], true).status, 0, 'check mode does reject a bad script');
});

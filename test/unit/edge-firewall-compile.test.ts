/**
 * The edge firewall's pure parts: schedule windows (midnight, daylight-saving changes, time zones) and the compiler
 * (AiFw's order, quick and last-match, families, injection-proof text).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile, fullScript, rulesOf, type CompileInput } from '../../src/modules/edge/firewall/compile.js';
import type { Alias, Rule } from '../../src/modules/edge/firewall/firewall.model.js';
import { parseAction, parseAddress, parseInterface, parseLabel } from '../../src/modules/edge/firewall/firewall.model.js';
import { parseDays, parseTimeRanges, scheduleActive } from '../../src/modules/edge/firewall/schedule.js';

const sched = (time_ranges: string, days_of_week = parseDays(undefined)) => ({ time_ranges: parseTimeRanges(time_ranges), days_of_week: parseDays(days_of_week), enabled: true });

describe('schedules', () => {
  test('a plain window is half-open: in at its start, out at its end', () => {
    const s = sched('09:00-10:00');
    assert.equal(scheduleActive(s, new Date('2026-06-01T08:59:59Z'), 'UTC'), false);
    assert.equal(scheduleActive(s, new Date('2026-06-01T09:00:00Z'), 'UTC'), true);
    assert.equal(scheduleActive(s, new Date('2026-06-01T09:59:59Z'), 'UTC'), true);
    assert.equal(scheduleActive(s, new Date('2026-06-01T10:00:00Z'), 'UTC'), false);
  });

  test('a window past midnight belongs to the day it starts on', () => {
    const s = sched('22:00-06:00', 'fri');
    assert.equal(scheduleActive(s, new Date('2026-06-05T23:00:00Z'), 'UTC'), true, 'Friday night');
    assert.equal(scheduleActive(s, new Date('2026-06-06T05:59:00Z'), 'UTC'), true, 'Saturday early morning, from Friday');
    assert.equal(scheduleActive(s, new Date('2026-06-06T06:00:00Z'), 'UTC'), false);
    assert.equal(scheduleActive(s, new Date('2026-06-06T23:00:00Z'), 'UTC'), false, 'Saturday night is not listed');
    assert.equal(scheduleActive(s, new Date('2026-06-05T05:00:00Z'), 'UTC'), false, 'Friday early morning belongs to Thursday');
  });

  test('wall time in the zone: a zone change moves the window, daylight-saving changes keep it at local time', () => {
    const s = sched('09:00-17:00', 'mon,tue,wed,thu,fri');
    // 08:30 UTC on a Monday is 09:30 in Paris in winter (UTC+1) and 10:30 in summer (UTC+2).
    assert.equal(scheduleActive(s, new Date('2026-01-05T08:30:00Z'), 'UTC'), false);
    assert.equal(scheduleActive(s, new Date('2026-01-05T08:30:00Z'), 'Europe/Paris'), true);
    // Paris 16:30 local on the Monday after the spring change (2026-03-29) is 14:30 UTC; before it 15:30 UTC.
    assert.equal(scheduleActive(s, new Date('2026-03-30T15:30:00Z'), 'Europe/Paris'), false, 'summer: 17:30 local');
    assert.equal(scheduleActive(s, new Date('2026-03-23T15:30:00Z'), 'Europe/Paris'), true, 'winter: 16:30 local');
    // The day is the local one: 23:30 UTC Friday is Saturday 08:30 in Tokyo (not listed), Sunday 23:30 UTC is Monday 08:30.
    assert.equal(scheduleActive(sched('08:00-09:00', 'mon'), new Date('2026-06-07T23:30:00Z'), 'Asia/Tokyo'), true);
    assert.equal(scheduleActive(sched('08:00-09:00', 'mon'), new Date('2026-06-07T23:30:00Z'), 'UTC'), false);
  });

  test('the skipped hour of a spring change: a window inside it never opens that night; one spanning it does', () => {
    // New York skips 02:00-03:00 on 2026-03-08.
    const inside = sched('02:15-02:45');
    const spanning = sched('01:30-03:30');
    const instants = Array.from({ length: 6 * 12 }, (_, i) => new Date(Date.parse('2026-03-08T05:00:00Z') + i * 5 * 60_000));
    assert.equal(instants.some((t) => scheduleActive(inside, t, 'America/New_York')), false);
    assert.equal(instants.filter((t) => scheduleActive(spanning, t, 'America/New_York')).length, 12, 'one real hour: 01:30-02:00 and 03:00-03:30');
  });

  test('bad ranges and days are refused', () => {
    for (const bad of ['24:30-01:00', '9-10', '09:60-10:00', '']) assert.throws(() => parseTimeRanges(bad), /time range|required/);
    assert.throws(() => parseDays('mon,someday'), /unknown day/);
    assert.equal(parseDays('Sunday, mon'), 'mon,sun');
  });
});

const now = '2026-01-01T00:00:00.000Z';
function rule(over: Partial<Rule> & { id: string }): Rule {
  return {
    priority: 100, action: 'pass', direction: 'in', ip_version: 'both', interface: null, protocol: 'tcp',
    rule_match: { src_addr: 'any', src_port: null, dst_addr: 'any', dst_port: { start: 443, end: 443 } },
    src_invert: false, dst_invert: false, log: false, quick: true, label: null, description: null, gateway: null,
    state_options: { tracking: 'keep_state', policy: null, adaptive_timeouts: null, timeout_tcp: null, timeout_udp: null, timeout_icmp: null },
    status: 'active', schedule_id: null, src_port_alias: null, dst_port_alias: null, created_at: now, updated_at: now, ...over,
  };
}
const input = (over: Partial<CompileInput>): CompileInput => ({
  rules: [], aliases: [], nat: [], geoip: [], activeSchedules: new Set(), blockLogging: true, countryNetworks: () => [], managementPorts: [8443], ...over,
});
const chainKeys = (c: ReturnType<typeof compile>, name: 'in' | 'out') => rulesOf(c, name).map((r) => r.key);

describe('compiler', () => {
  test('priority then created_at; direction picks the chains; any goes to both', () => {
    const c = compile(input({ rules: [
      rule({ id: 'b', created_at: '2026-01-02T00:00:00.000Z' }),
      rule({ id: 'a', created_at: '2026-01-01T00:00:00.000Z' }),
      rule({ id: 'top', priority: 1 }),
      rule({ id: 'out', direction: 'out' }),
      rule({ id: 'both', direction: 'any', interface: 'wan0', created_at: '2026-01-03T00:00:00.000Z' }),
    ] }));
    assert.deepEqual(chainKeys(c, 'in'), ['top.in0', 'a.in0', 'b.in0', 'both.in0']);
    assert.deepEqual(chainKeys(c, 'out'), ['out.out0', 'both.out0']);
    assert.match(rulesOf(c, 'in')[3].text, /^iifname "wan0" /);
    assert.match(rulesOf(c, 'out')[1].text, /^oifname "wan0" /);
  });

  test('quick decides at once; non-quick records a verdict the tail applies (last match wins); block logs; return rejects', () => {
    const c = compile(input({ rules: [rule({ id: 'q', action: 'block_return', priority: 1 }), rule({ id: 'n', quick: false, action: 'block' })] }));
    const texts = rulesOf(c, 'in').map((r) => r.text);
    assert.match(texts[0], /meta l4proto tcp .*reject with tcp reset/);
    assert.match(texts[1], /reject comment/);
    assert.match(texts[2], /log group 1 prefix "block " meta mark set meta mark & 0xf8ffffff \| 0x02000000/);
    const input_ = c.chains.find((x) => x.name === 'input')!;
    assert.ok(input_.head.includes('meta mark & 0x03000000 == 0x02000000 drop'));
    assert.ok(input_.head.includes('tcp dport { 8443 } ct mark set ct mark | 0x00010000 accept'), 'the management port stays open, its answers too');
    assert.match(input_.head[0], /policy drop/);
  });

  test('state: only pass rules keeping state mark their connection; established packets pass only on marked ones', () => {
    const none = { tracking: 'none' as const, policy: null, adaptive_timeouts: null, timeout_tcp: null, timeout_udp: null, timeout_icmp: null };
    const c = compile(input({ rules: [
      rule({ id: 'keep', priority: 1 }),
      rule({ id: 'bare', priority: 2, state_options: none }),
      rule({ id: 'late', priority: 3, quick: false }),
      rule({ id: 'lateBare', priority: 4, quick: false, state_options: none }),
      rule({ id: 'blk', priority: 5, action: 'block_drop' }),
    ] }));
    const [keep, bare, late, lateBare, blk] = rulesOf(c, 'in').map((r) => r.text);
    assert.match(keep, /dport 443 goto keep_state comment/);
    assert.deepEqual(c.chains.find((x) => x.name === 'keep_state')!.head, ['ct mark set ct mark | 0x00010000 accept'], 'the chain marks and accepts');
    assert.doesNotMatch(bare, /ct mark|keep_state/);
    assert.match(bare, /dport 443 accept comment/);
    assert.match(late, /meta mark set meta mark & 0xf8ffffff \| 0x05000000 comment/, 'a recorded stateful pass');
    assert.match(lateBare, /meta mark set meta mark & 0xf8ffffff \| 0x01000000 comment/, 'a recorded stateless pass');
    assert.doesNotMatch(blk, /ct mark|keep_state/, 'block rules never create state');
    const chain = (name: string) => c.chains.find((x) => x.name === name)!;
    for (const name of ['input', 'fwd_in', 'fwd_out', 'output']) {
      assert.ok(chain(name).head.includes('ct state established,related ct mark & 0x00010000 == 0x00010000 accept'), name);
      assert.ok(!chain(name).head.includes('ct state established,related accept'), `${name}: no state pass for every connection`);
    }
    const tail = chain('fwd_in').head;
    const keepTail = tail.indexOf('meta mark & 0x07000000 == 0x05000000 ct mark set ct mark | 0x00010000 accept');
    assert.ok(keepTail > 0 && keepTail < tail.indexOf('meta mark & 0x03000000 == 0x01000000 accept'), 'the last match keeps state when it was a stateful pass');
    assert.deepEqual(chain('output').tail, ['ct mark set ct mark | 0x00010000'], 'pass out keep state by default');
    assert.deepEqual(chain('input').tail.length, 1);
  });

  test('a scheduled rule is in the ruleset only while its schedule is active', () => {
    const rules = [rule({ id: 's', schedule_id: 'sch' })];
    assert.deepEqual(chainKeys(compile(input({ rules })), 'in'), []);
    assert.deepEqual(chainKeys(compile(input({ rules, activeSchedules: new Set(['sch']) })), 'in'), ['s.in0']);
  });

  test('families: an IPv4 literal with an IPv6-only alias matches nothing; an empty alias still names its set', () => {
    const alias = (name: string, entries: string[]): Alias => ({ id: name, name, alias_type: 'network', entries, description: null, enabled: true, resolved: [], last_fetched_at: null, last_error: null, created_at: now, updated_at: now });
    const c = compile(input({
      aliases: [alias('v6only', ['2001:db8::/32']), alias('empty', [])],
      rules: [
        rule({ id: 'x', rule_match: { src_addr: '10.0.0.1', src_port: null, dst_addr: '<v6only>', dst_port: null } }),
        rule({ id: 'e', rule_match: { src_addr: '<empty>', src_port: null, dst_addr: 'any', dst_port: null } }),
      ],
    }));
    assert.deepEqual(chainKeys(c, 'in'), ['e.in0']);
    assert.match(rulesOf(c, 'in')[0].text, /ip saddr @a_empty_4/);
  });

  test('parsers refuse what could change the script: quotes, separators, newlines', () => {
    assert.throws(() => parseInterface('eth0"; flush ruleset'), /invalid interface/);
    assert.throws(() => parseInterface('eth0 accept'), /invalid interface/);
    assert.throws(() => parseLabel('a"b'), /invalid label/);
    assert.throws(() => parseLabel('a}b'), /invalid label/);
    assert.throws(() => parseAddress('<a;b>', 'src_addr'), /name must be/);
    assert.equal(parseAction('Block-Drop'), 'block_drop');
    const script = fullScript(compile(input({ rules: [rule({ id: 'l', label: 'web (public) #1' })] })));
    assert.match(script, /comment "l\.in0 web \(public\) #1"/);
  });
});

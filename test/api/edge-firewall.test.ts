/**
 * The edge firewall's API as AiFw's clients call it: rules, schedules, aliases, NAT, geo-IP, with their bodies
 * ({"data"}, {"message"}, 201), every spelling AiFw accepts, and each 4xx the spec lists for these routes. The
 * stored configuration compiles to a script that `nft -c` accepts (the data plane is off here: nothing is applied).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';
import { edgeServices } from '../../src/modules/edge/edge.services.js';
import { EDGE_CHANGED } from '../../src/modules/edge/edge.types.js';
import { rulesOf } from '../../src/modules/edge/firewall/compile.js';
import { findProgram } from '../helpers/e2e.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-edge-fw-'));
const geoCsv = join(dir, 'geo.csv');
writeFileSync(geoCsv, 'network,country\n203.0.113.0/24,FR\n203.0.113.128/25,DE\n2001:db8::/32,NL\n');

let r: TestRampart;
let admin: SignedIn;
let feed: Server;
let feedUrl = '';
let feedBody = '# list\n198.51.100.7\n198.51.100.0/24 ; a network\nnot-an-address\n2001:db8:1::/48\n';
const events: any[] = [];

before(async () => {
  r = await createTestRampart({ overrides: { 'edge.geoip_csv': geoCsv } });
  admin = await signIn(r, { roles: ['admin'] });
  r.core.events.subscribe(EDGE_CHANGED, (e) => void events.push(e.payload));
  feed = createServer((_req, res) => res.end(feedBody));
  await new Promise<void>((resolve) => feed.listen(0, '127.0.0.1', resolve));
  feedUrl = `http://127.0.0.1:${(feed.address() as { port: number }).port}/list.txt`;
});
after(async () => {
  await r.cleanup();
  feed.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = (method: string, url: string, payload?: unknown, who: SignedIn | null = admin) =>
  r.app.inject({ method: method as any, url, headers: who ? who.headers : {}, ...(payload === undefined ? {} : { payload: payload as any }) });

const rule = (extra: Record<string, unknown> = {}) => ({ action: 'pass', direction: 'in', protocol: 'tcp', dst_port_start: 443, ...extra });

describe('rules', () => {
  test('create answers 201 {data} in AiFw shape; every action spelling is accepted and written back as AiFw writes it', async () => {
    for (const [given, emitted] of [['pass', 'pass'], ['block', 'block'], ['block_drop', 'blockdrop'], ['block-drop', 'blockdrop'], ['blockdrop', 'blockdrop'], ['block-return', 'blockreturn'], ['BLOCK_RETURN', 'blockreturn']]) {
      const res = await call('POST', '/api/v1/rules', rule({ action: given, label: `spelling ${given}`.slice(0, 30).replace(/[^\w ]/g, '') }));
      assert.equal(res.statusCode, 201, res.body);
      const { data } = res.json();
      assert.equal(data.action, emitted);
      assert.equal(data.priority, 100);
      assert.equal(data.quick, true);
      assert.equal(data.status, 'active');
      assert.deepEqual(data.rule_match, { src_addr: 'any', src_port: null, dst_addr: 'any', dst_port: { start: 443, end: 443 } });
      assert.equal(data.state_options.tracking, 'keep_state');
      const got = await call('GET', `/api/v1/rules/${data.id}`);
      assert.equal(got.json().data.action, emitted);
      assert.equal((await call('DELETE', `/api/v1/rules/${data.id}`)).json().message, 'rule deleted');
    }
    for (const [given, emitted] of [['tcpudp', 'tcp/udp'], ['tcp+udp', 'tcp/udp'], ['*', 'any'], ['ICMP', 'icmp']]) {
      const res = await call('POST', '/api/v1/rules', { action: 'pass', direction: 'any', protocol: given });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json().data.protocol, emitted);
      await call('DELETE', `/api/v1/rules/${res.json().data.id}`);
    }
  });

  test('bad bodies answer 400 and store nothing; injection attempts in interfaces and labels are refused', async () => {
    const before = (await call('GET', '/api/v1/rules')).json().data.length;
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [rule({ action: 'allow-ish' }), /unknown action/],
      [rule({ direction: 'sideways' }), /unknown direction/],
      [rule({ protocol: 'sctp-ish' }), /unknown protocol/],
      [rule({ interface: 'eth0" accept; flush ruleset; "' }), /invalid interface/],
      [rule({ interface: 'a-very-long-interface-name' }), /invalid interface/],
      [rule({ label: 'x" drop; #' }), /invalid label/],
      [rule({ label: 'line\nbreak' }), /invalid label/],
      [rule({ src_addr: '10.0.0.0/33' }), /invalid prefix/],
      [rule({ src_addr: '10.0.0.300' }), /invalid address|unknown alias/],
      [rule({ src_addr: '<no_such_alias>' }), /unknown alias/],
      [rule({ protocol: 'icmp' }), /ports need protocol/],
      [rule({ dst_port_start: 70000 }), /port number/],
      [rule({ dst_port_start: 90, dst_port_end: 80 }), /must not be below/],
      [rule({ schedule_id: '00000000-0000-4000-8000-000000000000' }), /unknown schedule_id/],
      [rule({ src_addr: '10.0.0.1', dst_addr: '2001:db8::1' }), /mix IPv4 and IPv6/],
      [rule({ quick: 'yes' }), /quick must be/],
      [rule({ dst_prot_start: 443 }), /dst_prot_start/],
    ];
    for (const [payload, error] of bad) {
      const res = await call('POST', '/api/v1/rules', payload);
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
      assert.match(res.json().error, error);
    }
    assert.equal((await call('GET', '/api/v1/rules')).json().data.length, before);
  });

  test('unknown ids answer 404; no credentials 401; a viewer without rules:write 403', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    assert.equal((await call('GET', `/api/v1/rules/${missing}`)).statusCode, 404);
    assert.equal((await call('PUT', `/api/v1/rules/${missing}`, rule())).statusCode, 404);
    assert.equal((await call('DELETE', `/api/v1/rules/${missing}`)).statusCode, 404);
    assert.equal((await call('PUT', '/api/v1/rules/reorder', { rule_ids: [missing] })).statusCode, 404);
    assert.equal((await call('POST', '/api/v1/rules', rule(), null)).statusCode, 401);
    const reader = await signIn(r, { permissions: ['rules:read'] });
    const denied = await call('POST', '/api/v1/rules', rule(), reader);
    assert.equal(denied.statusCode, 403);
    assert.deepEqual(Object.keys(denied.json()), ['error']);
  });

  test('order is priority then created_at; reorder sets priority = index and the compiled chain follows it', async () => {
    const a = (await call('POST', '/api/v1/rules', rule({ label: 'first', src_addr: '10.9.0.1' }))).json().data;
    const b = (await call('POST', '/api/v1/rules', rule({ label: 'second', src_addr: '10.9.0.2' }))).json().data;
    const c = (await call('POST', '/api/v1/rules', rule({ label: 'top', priority: 5, src_addr: '10.9.0.3' }))).json().data;
    const ids = () => call('GET', '/api/v1/rules').then((res) => res.json().data.map((x: any) => x.id).filter((id: string) => [a.id, b.id, c.id].includes(id)));
    assert.deepEqual(await ids(), [c.id, a.id, b.id]);
    const res = await call('PUT', '/api/v1/rules/reorder', { rule_ids: [b.id, a.id, c.id] });
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(res.json().message);
    assert.deepEqual(await ids(), [b.id, a.id, c.id]);
    assert.deepEqual((await call('GET', `/api/v1/rules/${b.id}`)).json().data.priority, 0);
    const compiled = await edgeServices(r.core).firewall.compileStored();
    const chain = rulesOf(compiled, 'in').map((x) => x.key.split('.')[0]).filter((id) => [a.id, b.id, c.id].includes(id));
    assert.deepEqual(chain, [b.id, a.id, c.id]);
    assert.equal((await call('PUT', '/api/v1/rules/reorder', { rule_ids: [a.id, a.id] })).statusCode, 400);
    for (const x of [a, b, c]) await call('DELETE', `/api/v1/rules/${x.id}`);
  });

  test('PUT replaces the rule and keeps its id and created_at; status can disable it', async () => {
    const made = (await call('POST', '/api/v1/rules', rule({ label: 'edit me' }))).json().data;
    const put = await call('PUT', `/api/v1/rules/${made.id}`, { action: 'block_return', direction: 'out', protocol: 'udp', dst_port_start: 53, status: 'disabled' });
    assert.equal(put.statusCode, 200, put.body);
    const data = put.json().data;
    assert.equal(data.id, made.id);
    assert.equal(data.created_at, made.created_at);
    assert.equal(data.action, 'blockreturn');
    assert.equal(data.status, 'disabled');
    assert.equal(data.label, null);
    await call('DELETE', `/api/v1/rules/${made.id}`);
  });

  test('system rules and block logging', async () => {
    const sys = (await call('GET', '/api/v1/rules/system')).json().data;
    assert.ok(sys.some((x: any) => x.rule.includes('established')));
    assert.ok(sys.some((x: any) => /default deny inbound/.test(x.description)));
    assert.deepEqual((await call('GET', '/api/v1/rules/block-logging')).json(), { data: { enabled: true } });
    assert.equal((await call('PUT', '/api/v1/rules/block-logging', { enabled: false })).statusCode, 200);
    assert.deepEqual((await call('GET', '/api/v1/rules/block-logging')).json(), { data: { enabled: false } });
    assert.equal((await call('POST', '/api/v1/rules/block-logging', { enabled: true })).statusCode, 200);
    assert.deepEqual((await call('GET', '/api/v1/rules/block-logging')).json(), { data: { enabled: true } });
    assert.equal((await call('PUT', '/api/v1/rules/block-logging', { enabled: 'on' })).statusCode, 400);
  });

  test('writes publish edge.changed with the section and AiFw-style comment, and pend the firewall', async () => {
    events.length = 0;
    const made = (await call('POST', '/api/v1/rules', rule())).json().data;
    await waitFor('the edge.changed event', () => events.find((e) => e.comment === 'POST /api/v1/rules'));
    assert.deepEqual(events.find((e) => e.comment === 'POST /api/v1/rules'), { section: 'rules', comment: 'POST /api/v1/rules', pending: ['firewall'], actor: admin.user.username });
    await call('DELETE', `/api/v1/rules/${made.id}`);
  });
});

describe('GET /api/v1/rules serves AiFw and OpenWatch from one path', () => {
  test('each caller sees the bodies of the routes it may call; neither answers 403', async () => {
    const both = (await call('GET', '/api/v1/rules')).json();
    assert.ok(Array.isArray(both.data) && Array.isArray(both.rules) && typeof both.total === 'number', JSON.stringify(Object.keys(both)));
    const edgeOnly = await signIn(r, { permissions: ['rules:read'] });
    assert.deepEqual(Object.keys((await call('GET', '/api/v1/rules', undefined, edgeOnly)).json()), ['data']);
    const fleetOnly = await signIn(r, { permissions: ['scan:read'] });
    assert.deepEqual(Object.keys((await call('GET', '/api/v1/rules', undefined, fleetOnly)).json()).sort(), ['rules', 'total']);
    const neither = await signIn(r, { permissions: ['nat:read'] });
    assert.equal((await call('GET', '/api/v1/rules', undefined, neither)).statusCode, 403);
    assert.equal((await call('GET', '/api/v1/rules', undefined, null)).statusCode, 401);
  });
});

describe('aliases', () => {
  test('network aliases keep their prefixes; names are unique (409); an alias in use cannot be deleted (409)', async () => {
    const made = await call('POST', '/api/v1/aliases', { name: 'office-nets', alias_type: 'network', entries: ['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32'] });
    assert.equal(made.statusCode, 201, made.body);
    const alias = made.json().data;
    assert.deepEqual(alias.entries, ['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32']);
    assert.equal((await call('POST', '/api/v1/aliases', { name: 'office-nets', alias_type: 'host', entries: ['10.0.0.1'] })).statusCode, 409);
    const used = (await call('POST', '/api/v1/rules', rule({ src_addr: '<office-nets>' }))).json().data;
    assert.equal((await call('DELETE', `/api/v1/aliases/${alias.id}`)).statusCode, 409);
    const compiled = await edgeServices(r.core).firewall.compileStored();
    assert.deepEqual(compiled.sets.find((s) => s.name === 'a_office-nets_4')!.elements, ['10.0.0.0/8', '192.168.1.0/24']);
    const texts = rulesOf(compiled, 'in').filter((x) => x.key.startsWith(used.id)).map((x) => x.text);
    assert.equal(texts.length, 2, 'one rule per family the alias holds');
    assert.ok(texts.some((t) => t.includes('ip saddr @a_office-nets_4')) && texts.some((t) => t.includes('ip6 saddr @a_office-nets_6')));
    await call('DELETE', `/api/v1/rules/${used.id}`);
    assert.equal((await call('DELETE', `/api/v1/aliases/${alias.id}`)).statusCode, 200);
  });

  test('bad aliases answer 400', async () => {
    for (const payload of [
      { name: 'bad name!', alias_type: 'host', entries: [] },
      { name: 'x'.repeat(32), alias_type: 'host', entries: [] },
      { name: 'h', alias_type: 'host', entries: ['10.0.0.0/8'] },
      { name: 'h', alias_type: 'zone', entries: [] },
      { name: 'p', alias_type: 'port', entries: ['http'] },
      { name: 'u', alias_type: 'url_table', entries: ['ftp://x/y'] },
      { name: 'n', alias_type: 'network', entries: 'not-a-list' },
    ]) {
      const res = await call('POST', '/api/v1/aliases', payload);
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
    }
    assert.equal((await call('GET', '/api/v1/aliases/00000000-0000-4000-8000-000000000000')).statusCode, 404);
  });

  test('port aliases are usable in rules; an address alias is not a port alias (400)', async () => {
    const ports = (await call('POST', '/api/v1/aliases', { name: 'web', alias_type: 'port', entries: ['80', '443', '8000:8100'] })).json().data;
    assert.deepEqual(ports.entries, ['80', '443', '8000-8100']);
    const hosts = (await call('POST', '/api/v1/aliases', { name: 'hosts1', alias_type: 'host', entries: ['10.1.1.1'] })).json().data;
    const made = await call('POST', '/api/v1/rules', { action: 'pass', direction: 'in', protocol: 'tcp', dst_port_alias: 'web' });
    assert.equal(made.statusCode, 201, made.body);
    assert.equal((await call('POST', '/api/v1/rules', { action: 'pass', direction: 'in', protocol: 'tcp', dst_port_alias: 'hosts1' })).statusCode, 400);
    assert.equal((await call('POST', '/api/v1/rules', { action: 'pass', direction: 'in', protocol: 'tcp', src_addr: '<web>' })).statusCode, 400);
    const compiled = await edgeServices(r.core).firewall.compileStored();
    assert.ok(rulesOf(compiled, 'in').some((x) => x.text.includes('th dport @p_web')));
    await call('DELETE', `/api/v1/rules/${made.json().data.id}`);
    await call('DELETE', `/api/v1/aliases/${ports.id}`);
    await call('DELETE', `/api/v1/aliases/${hosts.id}`);
  });

  test('url_table aliases are fetched by a job, keeping addresses and networks (CIDR lines too)', async () => {
    const made = await call('POST', '/api/v1/aliases', { name: 'feed', alias_type: 'url_table', entries: [feedUrl] });
    assert.equal(made.statusCode, 201, made.body);
    const id = made.json().data.id;
    const fetched = await waitFor('the url_table fetched', async () => {
      await r.worker.runOnce();
      const a = (await call('GET', `/api/v1/aliases/${id}`)).json().data;
      return a.last_fetched_at && a;
    });
    assert.deepEqual(fetched.resolved.sort(), ['198.51.100.0/24', '198.51.100.7', '2001:db8:1::/48'].sort());
    // A refresh replaces the list; a failing server keeps the last one.
    feedBody = '203.0.113.0/25\n';
    await edgeServices(r.core).firewall.aliases.refresh(id);
    assert.deepEqual((await call('GET', `/api/v1/aliases/${id}`)).json().data.resolved, ['203.0.113.0/25']);
    feed.close();
    await edgeServices(r.core).firewall.aliases.refresh(id);
    const after = (await call('GET', `/api/v1/aliases/${id}`)).json().data;
    assert.deepEqual(after.resolved, ['203.0.113.0/25']);
    assert.match(after.last_error, /127\.0\.0\.1/);
    await call('DELETE', `/api/v1/aliases/${id}`);
  });
});

describe('schedules', () => {
  test('create, validate (400), and delete unlinks the rules using it', async () => {
    const made = await call('POST', '/api/v1/schedules', { name: 'business hours', time_ranges: '08:00-18:00', days_of_week: 'mon,tue,wed,thu,fri' });
    assert.equal(made.statusCode, 201, made.body);
    const s = made.json().data;
    assert.equal(s.days_of_week, 'mon,tue,wed,thu,fri');
    const night = await call('POST', '/api/v1/schedules', { name: 'night', time_ranges: ['22:00-06:00'] });
    assert.equal(night.statusCode, 201, night.body);
    assert.equal(night.json().data.time_ranges, '22:00-06:00');
    for (const payload of [{ name: 'x', time_ranges: '25:00-26:00' }, { name: 'x', time_ranges: '8-18' }, { name: 'x', time_ranges: '08:00-18:00', days_of_week: 'funday' }, { time_ranges: '08:00-09:00' }]) {
      assert.equal((await call('POST', '/api/v1/schedules', payload)).statusCode, 400, JSON.stringify(payload));
    }
    const ruled = (await call('POST', '/api/v1/rules', rule({ schedule_id: s.id }))).json().data;
    assert.equal(ruled.schedule_id, s.id);
    assert.equal((await call('DELETE', `/api/v1/schedules/${s.id}`)).statusCode, 200);
    assert.equal((await call('GET', `/api/v1/rules/${ruled.id}`)).json().data.schedule_id, null);
    assert.equal((await call('PUT', `/api/v1/schedules/${s.id}`, { name: 'y', time_ranges: '01:00-02:00' })).statusCode, 404);
    await call('DELETE', `/api/v1/rules/${ruled.id}`);
    await call('DELETE', `/api/v1/schedules/${night.json().data.id}`);
  });
});

describe('NAT', () => {
  test('snat, dnat (with reflection), masquerade and binat compile into the NAT table; nat64/nat46 answer 400', async () => {
    const masq = await call('POST', '/api/v1/nat', { nat_type: 'masq', interface: 'wan0', protocol: 'any', src_addr: '10.240.1.0/24' });
    assert.equal(masq.statusCode, 201, masq.body);
    assert.equal(masq.json().data.nat_type, 'masquerade');
    // AiFw's outbound page sends redirect_addr "interface"; its port-forward page dst_addr "any" and status.
    const ui = await call('POST', '/api/v1/nat', { nat_type: 'masquerade', interface: 'wan0', protocol: 'any', src_addr: '10.247.1.0/24', dst_addr: 'any', redirect_addr: 'interface', status: 'active' });
    assert.equal(ui.statusCode, 201, ui.body);
    assert.equal(ui.json().data.redirect.address, 'any');
    const toIf = await call('POST', '/api/v1/nat', { nat_type: 'snat', interface: 'wan0', protocol: 'any', src_addr: '10.247.3.0/24', redirect_addr: 'interface' });
    assert.equal(toIf.statusCode, 201, toIf.body);
    assert.match((await call('GET', '/api/v1/nat/pf-output')).json().data, /oifname "wan0" ip saddr 10\.247\.3\.0\/24 masquerade/, 'snat to the interface address is a masquerade');
    await call('DELETE', `/api/v1/nat/${ui.json().data.id}`);
    await call('DELETE', `/api/v1/nat/${toIf.json().data.id}`);
    const rdr = await call('POST', '/api/v1/nat', { nat_type: 'rdr', interface: 'wan0', protocol: 'tcp', dst_addr: '10.241.0.1', dst_port_start: 8080, redirect_addr: '10.240.1.20', redirect_port_start: 80 });
    assert.equal(rdr.statusCode, 201, rdr.body);
    assert.deepEqual(rdr.json().data.redirect, { address: '10.240.1.20', port: { start: 80, end: 80 } });
    const snat = await call('POST', '/api/v1/nat', { nat_type: 'snat', interface: 'wan0', protocol: 'any', src_addr: '10.240.2.0/24', redirect_addr: '10.241.0.9' });
    const binat = await call('POST', '/api/v1/nat', { nat_type: 'binat', interface: 'wan0', protocol: 'any', src_addr: '10.240.1.30', redirect_addr: '10.241.0.30' });
    assert.equal(snat.statusCode, 201, snat.body);
    assert.equal(binat.statusCode, 201, binat.body);
    const out = (await call('GET', '/api/v1/nat/pf-output')).json().data as string;
    assert.match(out, /table ip rampart_edge_nat/);
    assert.match(out, /oifname "wan0" ip saddr 10\.240\.1\.0\/24 masquerade/);
    assert.match(out, /iifname "wan0" meta l4proto tcp ip daddr 10\.241\.0\.1 th dport 8080 dnat to 10\.240\.1\.20:80/);
    assert.match(out, /iifname != "wan0" meta l4proto tcp ip daddr 10\.241\.0\.1 th dport 8080 dnat to 10\.240\.1\.20:80/, 'reflection for LAN clients');
    assert.match(out, /snat to 10\.241\.0\.9/);
    assert.match(out, /ip daddr 10\.241\.0\.30 dnat to 10\.240\.1\.30/);
    for (const t of ['nat64', 'nat46']) {
      const res = await call('POST', '/api/v1/nat', { nat_type: t, interface: 'wan0', protocol: 'any', redirect_addr: '64:ff9b::1' });
      assert.equal(res.statusCode, 400);
      assert.match(res.json().error, /not supported on Linux/);
    }
    for (const payload of [
      { nat_type: 'dnat', interface: 'wan0', protocol: 'tcp' },
      { nat_type: 'dnat', interface: 'wan0', protocol: 'tcp', redirect_addr: 'interface' },
      { nat_type: 'binat', interface: 'wan0', protocol: 'any', src_addr: '10.0.0.1' },
      { nat_type: 'masquerade', protocol: 'any' },
      { nat_type: 'masquerade', interface: 'wan0;', protocol: 'any' },
      { nat_type: 'dnat', interface: 'wan0', protocol: 'any', dst_port_start: 80, redirect_addr: '10.0.0.1' },
      { nat_type: 'snat', interface: 'wan0', protocol: 'any', redirect_addr: '10.0.0.0/24' },
      { nat_type: 'bogus', interface: 'wan0', protocol: 'any' },
    ]) {
      assert.equal((await call('POST', '/api/v1/nat', payload)).statusCode, 400, JSON.stringify(payload));
    }
    // GET nat/{id}, reorder (created_at), 404s.
    const ids = [masq, rdr, snat, binat].map((x) => x.json().data.id);
    assert.equal((await call('GET', `/api/v1/nat/${ids[1]}`)).json().data.nat_type, 'dnat');
    assert.equal((await call('PUT', '/api/v1/nat/reorder', { rule_ids: [ids[3], ids[2]] })).statusCode, 200);
    assert.deepEqual((await call('GET', '/api/v1/nat')).json().data.map((n: any) => n.id), [ids[3], ids[2], ids[0], ids[1]]);
    assert.equal((await call('GET', '/api/v1/nat/00000000-0000-4000-8000-000000000000')).statusCode, 404);
    assert.equal((await call('PUT', '/api/v1/nat/reorder', { rule_ids: ['00000000-0000-4000-8000-000000000000'] })).statusCode, 404);
    assert.equal((await call('DELETE', '/api/v1/nat/00000000-0000-4000-8000-000000000000')).statusCode, 404);
    assert.equal((await edgeServices(r.core).firewall.counts()).nat_rules, 4);
    for (const id of ids) assert.equal((await call('DELETE', `/api/v1/nat/${id}`)).json().message, 'NAT rule deleted');
  });
});

describe('geo-IP', () => {
  test('rules by country, lookups from the imported database (longest prefix), 400s', async () => {
    const made = await call('POST', '/api/v1/geoip', { country_code: 'fr', action: 'block' });
    assert.equal(made.statusCode, 201, made.body);
    assert.equal(made.json().data.country, 'FR');
    assert.deepEqual((await call('GET', '/api/v1/geoip/lookup/203.0.113.5')).json().data, { ip: '203.0.113.5', country: 'FR', network: '203.0.113.0/24' });
    assert.deepEqual((await call('GET', '/api/v1/geoip/lookup/203.0.113.200')).json().data, { ip: '203.0.113.200', country: 'DE', network: '203.0.113.128/25' });
    assert.deepEqual((await call('GET', '/api/v1/geoip/lookup/2001:db8::5')).json().data.country, 'NL');
    assert.deepEqual((await call('GET', '/api/v1/geoip/lookup/198.18.0.1')).json().data, { ip: '198.18.0.1', country: null, network: null });
    assert.equal((await call('GET', '/api/v1/geoip/lookup/not-an-ip')).statusCode, 400);
    assert.equal((await call('POST', '/api/v1/geoip', { country_code: 'FRA', action: 'block' })).statusCode, 400);
    assert.equal((await call('POST', '/api/v1/geoip', { country_code: 'FR', action: 'maybe' })).statusCode, 400);
    const compiled = await edgeServices(r.core).firewall.compileStored();
    assert.deepEqual(compiled.sets.find((s) => s.name === 'g_fr_4')!.elements, ['203.0.113.0/24']);
    assert.ok(rulesOf(compiled, 'geo').some((x) => x.text.startsWith('ip saddr @g_fr_4') && x.text.includes('drop')));
    assert.equal((await call('DELETE', `/api/v1/geoip/${made.json().data.id}`)).statusCode, 200);
    assert.equal((await call('DELETE', `/api/v1/geoip/${made.json().data.id}`)).statusCode, 404);
  });
});

describe('configuration sections (the config part snapshots and restores through them)', () => {
  test('rules, aliases, schedules, nat and geoip export in a stable order and import back whole; bad data changes nothing', async () => {
    const fw = edgeServices(r.core).firewall;
    const alias = (await call('POST', '/api/v1/aliases', { name: 'snap', alias_type: 'network', entries: ['10.50.0.0/16'] })).json().data;
    const sch = (await call('POST', '/api/v1/schedules', { name: 'Bob\'s hours', time_ranges: ['08:00-17:00'], days_of_week: ['Mon', 'Tue'] })).json().data;
    // The body AiFw's rules page sends (ip_version, invert flags, gateway, status ...).
    const made = await call('POST', '/api/v1/rules', {
      action: 'pass', direction: 'in', protocol: 'tcp', ip_version: 'inet', interface: 'wan0', src_addr: '<snap>', src_port_start: null, src_invert: false,
      dst_addr: 'any', dst_port_start: 443, dst_invert: false, log: false, quick: true, label: 'https-in', description: 'web from the lab, Bob\'s "test"',
      gateway: null, schedule_id: sch.id, state_tracking: 'keep_state', status: 'active',
    });
    assert.equal(made.statusCode, 201, made.body);
    await call('POST', '/api/v1/nat', { nat_type: 'masquerade', interface: 'wan0', protocol: 'any', src_addr: '<snap>' });
    await call('POST', '/api/v1/geoip', { country_code: 'DE', action: 'allow' });
    const exported = Object.fromEntries(await Promise.all(fw.sections.map(async (sec) => [sec.name, await sec.export()] as const)));
    assert.deepEqual(Object.keys(exported), ['aliases', 'schedules', 'rules', 'nat', 'geoip']);
    assert.deepEqual(await fw.sections[2].export(), exported.rules, 'stable');
    // Wipe, then restore every section in order.
    for (const sec of [...fw.sections].reverse()) await sec.import([]);
    assert.deepEqual((await call('GET', '/api/v1/rules')).json().data, []);
    for (const sec of fw.sections) await sec.import(exported[sec.name]);
    for (const sec of fw.sections) assert.deepEqual(await sec.export(), exported[sec.name], sec.name);
    // A bad row refuses the whole section and keeps what was there.
    const rules = fw.sections.find((x) => x.name === 'rules')!;
    await assert.rejects(rules.import([...(exported.rules as any[]), { action: 'pass', direction: 'in', protocol: 'tcp', interface: 'bad"if' }]), /invalid interface/);
    assert.deepEqual(await rules.export(), exported.rules);
    assert.equal((await fw.counts()).rules, (exported.rules as any[]).length);
  });
});

describe('compiled script', () => {
  test('the stored configuration compiles to a script nft -c accepts (data plane off: checked, never applied)', { skip: findProgram('nft') ? false : 'needs nft' }, async () => {
    await call('POST', '/api/v1/aliases', { name: 'lan', alias_type: 'network', entries: ['10.240.1.0/24'] });
    await call('POST', '/api/v1/rules', rule({ src_addr: '<lan>', quick: false, log: true, label: 'non quick' }));
    await call('POST', '/api/v1/rules', rule({ action: 'block_return', interface: 'wan0', protocol: 'tcp/udp' }));
    await call('POST', '/api/v1/nat', { nat_type: 'masquerade', interface: 'wan0', protocol: 'any', src_addr: '<lan>' });
    const fw = edgeServices(r.core).firewall;
    await fw.apply();
    const script = fw.lastScript();
    assert.match(script, /table inet rampart_edge \{/);
    assert.match(script, /set a_lan_4 \{ type ipv4_addr; flags interval; elements = \{ 10\.240\.1\.0\/24 \} \}/);
    assert.match(script, /meta mark set meta mark & 0xf8ffffff \| 0x05000000/, 'a non-quick pass records its verdict (and that it keeps state)');
    assert.doesNotMatch(script, /table (ip|inet|ip6) (?!rampart_edge)/, 'no other table is named');
  });
});

describe('schedules at run time', () => {
  test('the timer re-renders when the clock crosses a window, and when the zone changes under it', { skip: findProgram('nft') ? false : 'needs nft' }, async () => {
    const fw = edgeServices(r.core).firewall;
    // A two-hour window from the current UTC hour: active now in UTC (the test cannot outrun it), not 11-14 hours away.
    const hour = new Date(fw.clock()).getUTCHours();
    const pad = (n: number) => String(n).padStart(2, '0');
    const sch = (await call('POST', '/api/v1/schedules', { name: 'this hour', time_ranges: `${pad(hour)}:00-${pad((hour + 2) % 24)}:00` })).json().data;
    const made = (await call('POST', '/api/v1/rules', rule({ dst_port_start: 7443, schedule_id: sch.id, label: 'scheduled' }))).json().data;
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      await fw.apply();
      const inRuleset = () => fw.lastScript().includes(`${made.id}.in0`);
      assert.equal(inRuleset(), true, 'inside its window: in the ruleset');
      assert.equal(await fw.tick(), false, 'nothing changed: no re-render');
      // The box's zone moves 12 hours (the edge has no edge.timezone set here, so it follows the process's zone).
      process.env.TZ = hour < 12 ? 'Pacific/Kiritimati' : 'Pacific/Pago_Pago';
      assert.equal(await fw.tick(), true, 'the zone change re-renders');
      assert.equal(inRuleset(), false, 'outside its window in the new zone');
      process.env.TZ = 'UTC';
      assert.equal(await fw.tick(), true);
      assert.equal(inRuleset(), true);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
      await call('DELETE', `/api/v1/rules/${made.id}`);
      await call('DELETE', `/api/v1/schedules/${sch.id}`);
    }
  });
});

describe('declared response schemas (the OpenAPI document and the console types come from them)', () => {
  test('every list and one-object answer matches its route schema', async () => {
    for (const path of ['/api/v1/rules', '/api/v1/aliases', '/api/v1/schedules', '/api/v1/nat', '/api/v1/geoip', '/api/v1/rules/system', '/api/v1/rules/block-logging', '/api/v1/nat/pf-output']) {
      const route = r.routes.find((x) => x.method === 'GET' && x.path === path && x.surface === 'edge')!;
      const body = (await call('GET', path)).json();
      const parsed = route.schema.response!.safeParse(path === '/api/v1/rules' ? { data: body.data } : body);
      assert.ok(parsed.success, `${path}: ${parsed.error?.message}`);
      if (Array.isArray(body.data) && path !== '/api/v1/rules/system') {
        assert.ok(body.data.length > 0, `${path} has rows to check`);
        const one = r.routes.find((x) => x.method === 'GET' && x.path === `${path}/:id`)!;
        assert.ok(one.schema.response!.safeParse((await call('GET', `${path}/${body.data[0].id}`)).json()).success, `${path}/:id`);
      }
    }
  });
});

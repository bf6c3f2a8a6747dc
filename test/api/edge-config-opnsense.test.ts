import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { edgeTestModule, installTestSections, type TestSections } from '../helpers/edge-config-sections.js';
import { edgeServices } from '../../src/modules/edge/edge.services.js';

const XML = readFileSync(new URL('../fixtures/edge/opnsense-config.xml', import.meta.url), 'utf8');
const MAP = { vtnet0: 'eth0', vtnet1: 'eth1' };

describe('OPNsense config.xml import (config/preview-opnsense, config/import-opnsense)', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let reader: SignedIn;
  let s: TestSections;
  let clock = Date.parse('2026-12-07T10:00:00.000Z');

  before(async () => {
    r = await createTestRampart({ modules: [edgeTestModule()], now: () => new Date(clock) });
    s = installTestSections(r.core, ['rules', 'nat', 'aliases', 'static_routes', 'vlans', 'interfaces']);
    admin = await signIn(r, { roles: ['admin'] });
    reader = await signIn(r, { permissions: ['backup:read'] });
  });
  after(() => r.cleanup());

  const call = (url: string, payload: unknown, who: SignedIn = admin) => r.app.inject({ method: 'POST', url, headers: who.headers, payload: payload as object });
  const find = (rows: any[], pred: (x: any) => boolean) => {
    const hit = rows.find(pred);
    assert.ok(hit, `no entry matches among ${JSON.stringify(rows, null, 1).slice(0, 2000)}`);
    return hit;
  };

  test('preview: counts, the dry-run plan and every item that cannot be translated, with the reason', async () => {
    const res = await call('/api/v1/config/preview-opnsense', { xml: XML, interface_map: MAP }, reader);
    assert.equal(res.statusCode, 200, res.body);
    const p = res.json();
    assert.equal(p.valid, true);
    assert.equal(p.kind, 'opnsense');
    assert.equal(p.version, '24.7');
    assert.deepEqual(p.system, { hostname: 'fw01', domain: 'office.example', dns_servers: ['9.9.9.9', '149.112.112.112'], timezone: 'Europe/Berlin' });
    assert.deepEqual(
      [p.counts.rules, p.counts.aliases, p.counts.nat_port_forwards, p.counts.nat_outbound, p.counts.nat_one_to_one, p.counts.static_routes, p.counts.vlans],
      [8, 7, 2, 1, 1, 2, 1],
    );
    assert.deepEqual(p.interfaces_found, ['eth0', 'eth1', 'eth1.20']);
    const skipped = p.skipped.join('\n');
    for (const reason of [
      /alias 'mail_host' \(host entries must be IP addresses/,
      /alias 'blocked_countries' \(alias type 'geoip' not supported\)/,
      /alias 'old_printers' \(disabled in source config\)/,
      /rule 'SSH to the firewall' on lan \('\(self\)'/,
      /port forward 'Mail by name' \(redirect target 'mail_host' is not an IP\)/,
      /static route 10\.60\.0\.0\/16 \(gateway 'WAN_DHCP' unresolved/,
    ]) assert.match(skipped, reason);
    assert.equal(p.plan.rules.length, 9, 'the floating rule on wan,lan is two');
    assert.equal(p.plan.rules.filter((x: any) => x.skip_reason).length, 1, 'only the (self) rule');
    const dnat = find(p.plan.nat, (n) => n.kind === 'dnat' && !n.skip_reason);
    assert.equal(dnat.redirect, '192.168.10.10:443');
    assert.equal(p.plan.routes.length, 2);
    // A preview writes nothing.
    assert.deepEqual(await s.read('rules'), []);
  });

  test('bad XML is 400: not well-formed, a DOCTYPE (entity expansion), another product\'s root; a reader may not import', async () => {
    for (const [xml, why] of [
      ['<opnsense><filter><rule></filter></opnsense>', 'not well-formed'],
      ['<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa">]><opnsense><system><hostname>&a;</hostname></system></opnsense>', 'entity declarations'],
      ['<config><system/></config>', 'not an OPNsense or pfSense'],
      ['', ''],
    ] as const) {
      const res = await call('/api/v1/config/preview-opnsense', { xml }, reader);
      assert.equal(res.statusCode, 400, why);
      assert.equal(typeof res.json().error, 'string');
      if (why) assert.match(res.json().error, new RegExp(why));
      assert.equal((await call('/api/v1/config/import-opnsense', { xml })).statusCode, 400);
    }
    assert.equal((await call('/api/v1/config/preview-opnsense', { xml: XML, interface_map: { vtnet0: 7 } }, reader)).statusCode, 400);
    assert.equal((await call('/api/v1/config/import-opnsense', { xml: XML }, reader)).statusCode, 403);
    assert.deepEqual(await s.read('rules'), []);
  });

  test('import translates rules, aliases, NAT, routes, VLANs and interfaces into the sections, applies, and arms commit-confirm', async () => {
    await s.write('rules', [{ id: 'existing', priority: 100, action: 'pass', interface: 'eth9' }]);
    const res = await call('/api/v1/config/import-opnsense', { xml: XML, interface_map: MAP });
    assert.equal(res.statusCode, 200, res.body);
    const out = res.json();
    assert.match(out.message, /^Imported: 8 firewall rules, 4 aliases, 1 port-forwards, 3 outbound NAT rules, 1 1:1 NAT mappings, 1 static routes, 1 VLANs, 3 interface configurations$/);
    assert.equal(out.commit_confirm_started, true);
    assert.equal(typeof out.pre_import_version, 'number');
    assert.ok(out.skipped.length >= 6);

    const rules = await s.read('rules') as any[];
    assert.equal(rules.length, 9);
    assert.equal(rules[0].id, 'existing', 'existing rules stay, first');
    assert.ok(rules.slice(1).every((x, i) => x.priority === 101 + i), 'imported rules follow, in the file\'s order');
    const lanAny = find(rules, (x) => x.label === 'Default allow LAN to any rule');
    assert.deepEqual([lanAny.action, lanAny.interface, lanAny.rule_match.src_addr, lanAny.rule_match.dst_addr, lanAny.quick, lanAny.state_options.tracking], ['pass', 'eth1', '192.168.10.0/24', 'any', true, 'keep_state']);
    const admins = find(rules, (x) => x.label === 'Admins reach the web UI');
    assert.deepEqual([admins.interface, admins.protocol, admins.rule_match.src_addr, admins.rule_match.dst_addr, admins.rule_match.dst_port, admins.log], ['eth0', 'tcp', '<admin_nets>', '192.168.10.1', { start: 443, end: 443 }, true]);
    const guests = find(rules, (x) => x.label === 'Guests never reach the LAN');
    assert.deepEqual([guests.action, guests.interface, guests.rule_match.src_addr, guests.rule_match.dst_addr], ['block_drop', 'eth1.20', '192.168.20.0/24', '192.168.10.0/24']);
    const dns = find(rules, (x) => x.label === 'DNS only through the firewall');
    assert.deepEqual([dns.action, dns.protocol, dns.rule_match.dst_addr, dns.dst_invert, dns.rule_match.dst_port.start], ['block_return', 'udp', '192.168.10.1', true, 53]);
    const paused = find(rules, (x) => x.label === 'Guests: web only (paused)');
    assert.deepEqual([paused.status, paused.protocol, paused.rule_match.dst_port.start], ['disabled', 'tcpudp', 443]);
    const web = find(rules, (x) => x.label === 'Web from anywhere');
    assert.deepEqual([web.rule_match.dst_addr, web.dst_port_alias, web.rule_match.dst_port], ['<web_servers>', 'web_ports', null], 'port aliases are usable in rules');
    const floating = rules.filter((x) => x.rule_match?.src_addr === '<spamhaus_drop>');
    assert.deepEqual(floating.map((x) => x.interface), ['eth0', 'eth1']);
    assert.ok(floating.every((x) => x.quick && x.direction === 'any' && x.protocol === 'icmp' && x.label === 'Drop _listed__ nets'), 'labels keep a safe subset');

    const aliases = await s.read('aliases') as any[];
    assert.deepEqual(aliases.map((a) => [a.name, a.alias_type]), [['web_servers', 'host'], ['admin_nets', 'network'], ['web_ports', 'port'], ['spamhaus_drop', 'url_table']]);
    assert.deepEqual(find(aliases, (a) => a.name === 'web_ports').entries, ['80', '443', '8000-8080']);
    assert.deepEqual(find(aliases, (a) => a.name === 'admin_nets').entries, ['10.8.0.0/24', '172.16.5.0/24'], 'prefixes kept');

    const nat = await s.read('nat') as any[];
    const dnat = find(nat, (n) => n.nat_type === 'dnat');
    assert.deepEqual([dnat.interface, dnat.protocol, dnat.dst_addr, dnat.dst_port, dnat.redirect], ['eth0', 'tcp', 'any', { start: 8443, end: 8443 }, { address: '192.168.10.10', port: { start: 443, end: 443 } }]);
    const outbound = nat.filter((n) => n.nat_type === 'snat' || n.nat_type === 'masquerade');
    assert.deepEqual(outbound.map((n) => [n.nat_type, n.interface, n.src_addr, n.redirect.address]), [
      ['snat', 'eth0', '192.168.20.0/24', '198.51.100.7'],
      ['masquerade', 'eth0', '192.168.10.0/24', 'any'],
      ['masquerade', 'eth0', '192.168.20.0/24', 'any'],
    ], 'hybrid: the manual rule first, then the automatic ones');
    const binat = find(nat, (n) => n.nat_type === 'binat');
    assert.deepEqual([binat.src_addr, binat.redirect.address], ['192.168.10.20', '198.51.100.10']);

    const routes = await s.read('static_routes') as any[];
    assert.deepEqual(routes.map((x) => [x.destination, x.gateway, x.interface]), [['10.50.0.0/16', '192.168.10.254', 'eth1']]);
    const vlans = await s.read('vlans') as any[];
    assert.deepEqual(vlans.map((v) => [v.vlan_id, v.parent, v.ipv4_mode, v.ipv4_address, v.description]), [[20, 'eth1', 'static', '192.168.20.1/24', 'Guests']]);
    const ifaces = await s.read('interfaces') as any[];
    assert.deepEqual(ifaces.map((i) => [i.name, i.role, i.ipv4_mode, i.ipv4_address]), [
      ['eth0', 'wan', 'dhcp', null], ['eth1', 'lan', 'static', '192.168.10.1/24'], ['eth1.20', 'opt1', 'static', '192.168.20.1/24'],
    ]);
    assert.equal((s.host.rules as unknown[]).length, 9, 'applied');

    const status = edgeServices(r.core).config.commitConfirm;
    assert.equal((await status.status()).description, 'OPNsense config import');
    assert.equal((await status.status()).seconds_remaining, 600);
    const again = await call('/api/v1/config/import-opnsense', { xml: XML, interface_map: MAP });
    assert.equal(again.statusCode, 409, 'a window is open');
    assert.equal((await s.read('rules')).length, 9, 'nothing changed');
    const audit = await r.core.audit.list({ action: 'edge.config.import_opnsense' }, { limit: 20 });
    assert.equal(audit.items.filter((a) => a.result === 'success').length, 1, 'the import');
    assert.ok(audit.items.some((a) => a.result === 'failure' && a.details.status === 409), 'the refused second import');
  });

  test('not confirmed: the import reverts to the pre-import configuration; a second import skips colliding aliases', async () => {
    clock += 601_000;
    await edgeServices(r.core).config.commitConfirm.review();
    assert.deepEqual((await s.read('rules') as any[]).map((x) => x.id), ['existing']);
    assert.deepEqual(await s.read('aliases'), []);
    assert.deepEqual(await s.read('nat'), []);

    await s.write('aliases', [{ id: 'mine', name: 'web_servers', alias_type: 'host', entries: ['10.1.1.1'] }]);
    const res = await call('/api/v1/config/import-opnsense', { xml: XML, interface_map: MAP, commit_confirm: false });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().commit_confirm_started, false);
    assert.ok(res.json().skipped.includes("alias 'web_servers' (name collides with an existing alias)"));
    const aliases = await s.read('aliases') as any[];
    assert.deepEqual(find(aliases, (a) => a.name === 'web_servers').entries, ['10.1.1.1'], 'the box\'s alias is kept');
    assert.equal((await edgeServices(r.core).config.commitConfirm.status()).active, false);
  });
});

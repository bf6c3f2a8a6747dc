import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';
import { edgeServices } from '../../src/modules/edge/edge.services.js';

const XML = readFileSync(new URL('../fixtures/edge/opnsense-config.xml', import.meta.url), 'utf8');

/**
 * The config part over the firewall's and the network part's own sections (data plane off: compiled and stored, not
 * applied): versions follow their writes, the OPNsense translation passes their validation, a restore and a
 * commit-confirm revert bring their rows back.
 */
describe('edge config over the real firewall and network sections', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let clock = Date.parse('2026-12-07T11:00:00.000Z');

  before(async () => {
    r = await createTestRampart({ now: () => new Date(clock) });
    admin = await signIn(r, { roles: ['admin'] });
  });
  after(() => r.cleanup());

  const call = (method: string, url: string, payload?: unknown) =>
    r.app.inject({ method: method as 'GET', url, headers: admin.headers, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const list = async (url: string) => {
    const res = await call('GET', url);
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    const body = res.json();
    return (Array.isArray(body) ? body : body.data) as any[];
  };

  test('every section is in the snapshot; a rule created through the API saves a version naming who and what', async () => {
    const names = edgeServices(r.core).hooks.sections.map((s) => s.name).sort();
    for (const name of ['aliases', 'geoip', 'interfaces', 'nat', 'rules', 'schedules', 'static_routes', 'vlans']) assert.ok(names.includes(name), name);
    const created = await call('POST', '/api/v1/rules', { action: 'pass', direction: 'in', protocol: 'tcp', dst_port_start: 22, label: 'ssh' });
    assert.equal(created.statusCode, 201, created.body);
    const v = await waitFor('the version of the new rule', async () => {
      const h = (await call('GET', '/api/v1/config/history')).json().data;
      return h[0]?.comment?.includes('/api/v1/rules') ? h[0] : null;
    }, 30_000);
    assert.equal(v.resource_count >= 1, true);
    assert.equal(v.created_by, admin.user.username, 'the version names who wrote the rule');
    const doc = (await call('GET', `/api/v1/config/version?version=${v.version}`)).json();
    assert.equal(doc.rules[0].label, 'ssh');

    const vlan = await call('POST', '/api/v1/vlans', { vlan_id: 45, parent: 'lan0' });
    assert.equal(vlan.statusCode, 201, vlan.body);
    const nv = await waitFor('the version of the new VLAN', async () => {
      const h = (await call('GET', '/api/v1/config/history')).json().data;
      return h[0]?.comment === 'POST /api/v1/vlans' ? h[0] : null;
    }, 30_000);
    assert.equal(nv.created_by, admin.user.username, 'network writes name their author too');
  });

  test('the OPNsense translation passes the sections\' own validation; the revert brings the rows back', async () => {
    const rulesBefore = await list('/api/v1/rules');
    const res = await call('POST', '/api/v1/config/import-opnsense', { xml: XML, interface_map: { vtnet0: 'eth0', vtnet1: 'eth1' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.json().message, /8 firewall rules, 4 aliases, 1 port-forwards, 3 outbound NAT rules, 1 1:1 NAT mappings, 1 static routes, 1 VLANs, 3 interface configurations/);

    const rules = await list('/api/v1/rules');
    assert.equal(rules.length, rulesBefore.length + 8);
    const admins = rules.find((x) => x.label === 'Admins reach the web UI');
    assert.equal(admins.rule_match.src_addr, '<admin_nets>');
    assert.deepEqual(admins.rule_match.dst_port, { start: 443, end: 443 });
    const aliases = await list('/api/v1/aliases');
    assert.deepEqual(aliases.map((a) => a.name).sort(), ['admin_nets', 'spamhaus_drop', 'web_ports', 'web_servers']);
    const nat = await list('/api/v1/nat');
    assert.deepEqual(nat.map((n) => n.nat_type).sort(), ['binat', 'dnat', 'masquerade', 'masquerade', 'snat']);
    const vlans = await list('/api/v1/vlans');
    assert.ok(vlans.some((v) => v.vlan_id === 20 && v.parent === 'eth1'), JSON.stringify(vlans));
    const routes = await list('/api/v1/routes');
    assert.ok(routes.some((x) => x.destination === '10.50.0.0/16' && x.gateway === '192.168.10.254'), JSON.stringify(routes));

    const check = (await call('GET', '/api/v1/config/check')).json().data;
    assert.deepEqual(check.errors, [], 'the imported configuration refers to nothing missing');

    clock += 601_000;
    await edgeServices(r.core).config.commitConfirm.review();
    assert.deepEqual((await list('/api/v1/rules')).map((x) => x.id), rulesBefore.map((x) => x.id));
    assert.deepEqual(await list('/api/v1/aliases'), []);
    assert.deepEqual(await list('/api/v1/nat'), []);
    assert.ok(!(await list('/api/v1/vlans')).some((v) => v.vlan_id === 20));
  });
});

/**
 * The edge firewall on real traffic (test/helpers/edge-lab.ts): a real `rampart serve` with the data plane on runs
 * in the edge router's namespace, driven through AiFw's API over a unix socket; curl in the LAN and WAN namespaces
 * shows what passes. Default deny inbound, a pass from an alias, a block above it for one alias host (and reorder
 * flipping it), masquerade LAN->WAN, a port forward from the WAN address to a LAN server (and its reflection for LAN
 * clients), and a schedule enforced across a window boundary and across midnight, with the firewall's clock moved
 * through the test-only edge.clock_offset_file.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { edgeE2eFile } from '../helpers/edge-e2e.js';
import { EDGE_LAN, EDGE_WAN, LAN_CLIENT, LAN_SERVER, WAN_HOST, WAN_HOSTS } from '../helpers/edge-lab.js';

const PROGRAMS = ['ip', 'nft', 'curl'];
const file = edgeE2eFile('fw');

test('the edge firewall filters, translates and schedules real traffic', { skip: skipUnlessPrograms(...PROGRAMS), timeout: 300_000 }, async () => {
  requirePrograms(...PROGRAMS);
  const lab = file.createLab();
  const offsetFile = join(file.dir, 'clock-offset');
  /** Sets the firewall's clock to read `iso` now (it runs on from there). */
  const setClock = (iso: string) => writeFileSync(offsetFile, String(Date.parse(iso) - Date.now()));
  setClock('2026-06-01T09:00:00Z'); // a Monday

  await lab.serveHttp('edge', EDGE_WAN, 443);
  await lab.serveHttp('edge', EDGE_WAN, 8443);
  await lab.serveHttp('edge', EDGE_WAN, 9443);
  await lab.serveHttp('wan', WAN_HOST, 8080);
  await lab.serveHttp('srv', LAN_SERVER, 80);
  const edge = await file.startRampart(lab, { env: { RAMPART_EDGE_CLOCK_OFFSET_FILE: offsetFile, RAMPART_EDGE_TIMEZONE: 'UTC' } });
  const { api, ok, reload, ctx, expectReach } = edge;
  const fromWan = (host: string, port = 443) => lab.httpGet('wan', EDGE_WAN, port, host);

  // Until its first reload the edge touches nothing: a box whose edge was never set up keeps its traffic.
  assert.doesNotMatch(lab.ruleset(), /table inet rampart_edge/);
  await reload();
  // Default deny inbound: the (empty) configuration applied drops what comes in.
  await expectReach('the default ruleset to drop WAN -> edge:443', () => fromWan(WAN_HOST), false);
  assert.match(lab.ruleset(), /table inet rampart_edge/);

  // Pass 443 from an alias: its members reach the edge, others still do not.
  await ok(api('POST', '/api/v1/aliases', { name: 'trusted', alias_type: 'host', entries: [WAN_HOSTS[0], WAN_HOSTS[1]] }), 201);
  const pass = (await ok(api('POST', '/api/v1/rules', { action: 'pass', direction: 'in', interface: 'wan0', protocol: 'tcp', src_addr: '<trusted>', dst_port_start: 443, label: 'trusted https' }), 201)).data;
  assert.equal(await fromWan(WAN_HOSTS[0]), null, 'a write alone changes nothing until reload (pending)');
  await reload();
  assert.equal(await fromWan(WAN_HOSTS[0]), `hello from ${EDGE_WAN} to ${WAN_HOSTS[0]}`);
  assert.ok(await fromWan(WAN_HOSTS[1]));
  assert.equal(await fromWan(WAN_HOSTS[2]), null, 'a host outside the alias is denied');

  // A block above the pass for one alias host: order matters, and reorder flips it.
  const block = (await ok(api('POST', '/api/v1/rules', { action: 'block_drop', direction: 'in', interface: 'wan0', protocol: 'tcp', src_addr: WAN_HOSTS[1], dst_port_start: 443, priority: 50 }), 201)).data;
  await reload();
  assert.equal(await fromWan(WAN_HOSTS[1]), null, 'the block above the pass drops this host');
  assert.ok(await fromWan(WAN_HOSTS[0]), 'the other alias host still passes');
  await ok(api('PUT', '/api/v1/rules/reorder', { rule_ids: [pass.id, block.id] }));
  await reload();
  assert.ok(await fromWan(WAN_HOSTS[1]), `after reorder the pass comes first\n${ctx()}`);

  // Masquerade LAN -> WAN: the WAN has no route back to the LAN, so only translated traffic comes back.
  assert.equal(await lab.httpGet('lan', WAN_HOST, 8080), null, 'forwarding from the LAN is denied by default');
  await ok(api('POST', '/api/v1/rules', { action: 'pass', direction: 'in', interface: 'lan0', protocol: 'any', src_addr: '10.240.1.0/24' }), 201);
  await ok(api('POST', '/api/v1/nat', { nat_type: 'masquerade', interface: 'wan0', protocol: 'any', src_addr: '10.240.1.0/24' }), 201);
  await reload();
  assert.equal(await lab.httpGet('lan', WAN_HOST, 8080), `hello from ${WAN_HOST} to ${EDGE_WAN}`, ctx());

  // Port forward: WAN address :8080 to the LAN server's :80; the filter must pass the translated destination (pf's rdr).
  await ok(api('POST', '/api/v1/nat', { nat_type: 'rdr', interface: 'wan0', protocol: 'tcp', dst_addr: EDGE_WAN, dst_port_start: 8080, redirect_addr: LAN_SERVER, redirect_port_start: 80 }), 201);
  await reload();
  assert.equal(await lab.httpGet('wan', EDGE_WAN, 8080, WAN_HOST), null, 'translated but not yet passed by a filter rule');
  await ok(api('POST', '/api/v1/rules', { action: 'pass', direction: 'in', interface: 'wan0', protocol: 'tcp', dst_addr: LAN_SERVER, dst_port_start: 80 }), 201);
  await reload();
  assert.equal(await lab.httpGet('wan', EDGE_WAN, 8080, WAN_HOST), `hello from ${LAN_SERVER} to ${WAN_HOST}`, 'the server sees the WAN client itself');
  assert.equal(await lab.httpGet('lan', EDGE_WAN, 8080), `hello from ${LAN_SERVER} to ${EDGE_LAN}`, 'reflection: a LAN client reaches it by the public address');
  assert.notEqual(LAN_CLIENT, EDGE_LAN);

  // Schedules: 8443 open 09:00-10:00 every day; 9443 open 23:30-00:30 from Monday into Tuesday only.
  const hours = (await ok(api('POST', '/api/v1/schedules', { name: 'morning', time_ranges: '09:00-10:00' }), 201)).data;
  const night = (await ok(api('POST', '/api/v1/schedules', { name: 'monday night', time_ranges: '23:30-00:30', days_of_week: 'mon' }), 201)).data;
  await ok(api('POST', '/api/v1/rules', { action: 'pass', direction: 'in', interface: 'wan0', protocol: 'tcp', dst_port_start: 8443, schedule_id: hours.id }), 201);
  await ok(api('POST', '/api/v1/rules', { action: 'pass', direction: 'in', interface: 'wan0', protocol: 'tcp', dst_port_start: 9443, schedule_id: night.id }), 201);
  setClock('2026-06-01T09:59:56Z');
  await reload();
  assert.ok(await fromWan(WAN_HOST, 8443), `inside the window\n${ctx()}`);
  // The boundary passes on the firewall's own timer: the rule leaves the ruleset at 10:00.
  await expectReach('the 10:00 boundary to close 8443', () => fromWan(WAN_HOST, 8443), false);
  assert.equal(await fromWan(WAN_HOST, 9443), null, 'Monday 10:00 is outside the night window');
  // Across midnight: Monday 23:45 and Tuesday 00:15 are inside, Tuesday 00:45 and Tuesday 23:45 are not.
  setClock('2026-06-01T23:45:00Z');
  await expectReach('Monday 23:45 to open 9443', () => fromWan(WAN_HOST, 9443), true);
  setClock('2026-06-02T00:15:00Z');
  await expectReach('Tuesday 00:15 (still Monday night) to keep 9443 open', () => fromWan(WAN_HOST, 9443), true);
  setClock('2026-06-02T00:45:00Z');
  await expectReach('Tuesday 00:45 to close 9443', () => fromWan(WAN_HOST, 9443), false);
  setClock('2026-06-02T09:30:00Z');
  await expectReach('the next morning to open 8443 again', () => fromWan(WAN_HOST, 8443), true);
  // Tuesday 23:45: once the re-render at the new time has closed 8443, 9443 must be closed too (only Monday is listed).
  setClock('2026-06-02T23:45:00Z');
  await expectReach('Tuesday 23:45 to close 8443', () => fromWan(WAN_HOST, 8443), false);
  assert.equal(await fromWan(WAN_HOST, 9443), null, 'Tuesday night is not in the Monday night window');

  // Only Rampart's own tables were written.
  const tables = lab.exec('edge', 'nft', ['list', 'tables']).stdout;
  assert.match(tables, /table inet rampart_edge/);
  assert.match(tables, /table ip rampart_edge_nat/);
});

/**
 * AiFw's state options on real traffic (test/helpers/edge-lab.ts): a LAN client opens TCP connections to a WAN server
 * through the edge router (masquerade on wan0), forwarded through a pass rule in on lan0 and one out on wan0. With no
 * state tracking on either, nothing lets the server's answer back in on wan0 (default deny inbound): the connection
 * never opens, and the dropped answer shows in the blocked list. A pass rule keeping state (quick or last match) carries
 * it; so does AiFw's default `pass out keep state` when no out rule decides.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { edgeE2eFile } from '../helpers/edge-e2e.js';
import { EDGE_LAN_IF, EDGE_WAN_IF, LAN_CLIENT, WAN_HOST } from '../helpers/edge-lab.js';
import { waitFor } from '../helpers/wait.js';

const PROGRAMS = ['ip', 'nft', 'curl', 'conntrack'];
const file = edgeE2eFile('state');

test('a pass rule without state tracking lets nothing back; one keeping state carries the connection', { skip: skipUnlessPrograms(...PROGRAMS), timeout: 300_000 }, async () => {
  requirePrograms(...PROGRAMS);
  const lab = file.createLab();
  await lab.serveHttp('wan', WAN_HOST, 8080);
  const edge = await file.startRampart(lab);
  const { api, ok, reload, ctx } = edge;
  const toWan = () => lab.httpGet('lan', WAN_HOST, 8080);
  const expectReach = (what: string, reachable: boolean) => edge.expectReach(what, toWan, reachable);

  await ok(api('POST', '/api/v1/nat', { nat_type: 'masquerade', interface: EDGE_WAN_IF, protocol: 'any', src_addr: '10.240.1.0/24' }), 201);
  const lanIn = { action: 'pass', direction: 'in', interface: EDGE_LAN_IF, protocol: 'tcp', src_addr: LAN_CLIENT, dst_addr: WAN_HOST, dst_port_start: 8080, priority: 10 };
  const wanOut = { action: 'pass', direction: 'out', interface: EDGE_WAN_IF, protocol: 'tcp', dst_addr: WAN_HOST, dst_port_start: 8080, priority: 20 };
  const inRule = (await ok(api('POST', '/api/v1/rules', { ...lanIn, state_tracking: 'none' }), 201)).data;
  assert.equal(inRule.state_options.tracking, 'none');
  const outRule = (await ok(api('POST', '/api/v1/rules', { ...wanOut, state_tracking: 'none' }), 201)).data;
  await reload();

  // Stateless both ways: the SYN leaves, the server's SYN-ACK comes in on wan0 where no rule passes it.
  await expectReach('a stateless pass in and out not to carry the connection', false);
  const blocked = async () => (await ok(api('GET', `/api/v1/blocked?src=${WAN_HOST}&limit=10`))).data as Array<Record<string, unknown>>;
  await waitFor('the dropped answer in the blocked list', async () => (await blocked()).some((b) => b.src_port === 8080 && b.interface === EDGE_WAN_IF), 20_000)
    .catch((err) => assert.fail(`${err.message}\n${JSON.stringify(lab.exec('edge', 'conntrack', ['-L'], true).stdout)}\n${ctx()}`));

  // The same pass in on lan0 keeping state: its state lets the answers back in (on any interface, as pf's floating
  // states), though the out rule still keeps none.
  await ok(api('PUT', `/api/v1/rules/${inRule.id}`, { ...lanIn, state_tracking: 'keep_state' }));
  await reload();
  await expectReach('a stateful pass in to carry the connection', true);
  assert.equal(await toWan(), `hello from ${WAN_HOST} to 10.241.0.1`, 'translated by the masquerade on the way out');

  // Keeping state as the last match (not quick) does the same; dropping the state again cuts it.
  await ok(api('PUT', `/api/v1/rules/${inRule.id}`, { ...lanIn, quick: false, state_tracking: 'keep_state' }));
  await reload();
  await expectReach('a stateful last-match pass to carry the connection', true);
  await ok(api('PUT', `/api/v1/rules/${inRule.id}`, { ...lanIn, quick: false, state_tracking: 'none' }));
  await reload();
  await expectReach('a stateless last-match pass not to carry the connection', false);

  // Without the out rule, what leaves wan0 passes by AiFw's default `pass out keep state`: that state carries it.
  await ok(api('DELETE', `/api/v1/rules/${outRule.id}`));
  await reload();
  await expectReach("the default pass out's state to carry the connection", true);
});

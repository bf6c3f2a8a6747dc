/**
 * Commit-confirm on a real edge router (test/helpers/edge-lab.ts, namespaces rpf<pid>-*): the WAN client reaches the
 * edge's management port through a pass rule; a window is armed, a rule change locks the client out, nobody
 * confirms, and the configuration is reverted and applied, so the client is back. Then the same with Rampart
 * stopped and started again inside the window: the stored window is timed again and reverts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { edgeE2eFile } from '../helpers/edge-e2e.js';
import { EDGE_WAN, WAN_HOST } from '../helpers/edge-lab.js';

const PROGRAMS = ['ip', 'nft', 'curl'];
const file = edgeE2eFile('cc');

test('an unconfirmed change that locks the client out is reverted, also across a restart inside the window', { skip: skipUnlessPrograms(...PROGRAMS), timeout: 400_000 }, async () => {
  requirePrograms(...PROGRAMS);
  const lab = file.createLab();
  await lab.serveHttp('edge', EDGE_WAN, 443);
  const edge = await file.startRampart(lab);
  const { api, ok } = edge;
  const manage = () => lab.httpGet('wan', EDGE_WAN, 443, WAN_HOST);
  const expectReach = (what: string, reachable: boolean, timeoutMs = 30_000) => edge.expectReach(what, manage, reachable, timeoutMs);

  // The management rule: the WAN client reaches the edge's port 443.
  const mgmt = (await ok(api('POST', '/api/v1/rules', { action: 'pass', direction: 'in', interface: 'wan0', protocol: 'tcp', src_addr: WAN_HOST, dst_port_start: 443, label: 'mgmt' }), 201)).data;
  await ok(api('POST', '/api/v1/reload'));
  await expectReach('the client to reach the management port', true);

  // 1. Arm, lock out (the management rule disabled and applied), do not confirm: reverted.
  await ok(api('POST', '/api/v1/config/commit-confirm', { timeout_secs: 15, description: 'tighten wan' }));
  assert.equal((await ok(api('POST', '/api/v1/config/commit-confirm', {}), 409)).error !== undefined, true);
  await ok(api('PUT', `/api/v1/rules/${mgmt.id}`, { action: 'pass', direction: 'in', interface: 'wan0', protocol: 'tcp', src_addr: WAN_HOST, dst_port_start: 443, label: 'mgmt', status: 'disabled' }));
  await ok(api('POST', '/api/v1/reload'));
  await expectReach('the change to lock the client out', false);
  assert.equal((await ok(api('GET', '/api/v1/config/commit-confirm/status'))).active, true);
  await expectReach('the unconfirmed change to be reverted', true, 60_000);
  const status = await ok(api('GET', '/api/v1/config/commit-confirm/status'));
  assert.deepEqual([status.active, status.status], [false, 'reverted']);
  assert.equal((await ok(api('GET', `/api/v1/rules/${mgmt.id}`))).data.status, 'active');

  // 2. The same, with Rampart stopped and started again inside the window.
  await ok(api('POST', '/api/v1/config/commit-confirm', { timeout_secs: 30, description: 'tighten wan, then restart' }));
  await ok(api('PUT', `/api/v1/rules/${mgmt.id}`, { action: 'pass', direction: 'in', interface: 'wan0', protocol: 'tcp', src_addr: WAN_HOST, dst_port_start: 443, label: 'mgmt', status: 'disabled' }));
  await ok(api('POST', '/api/v1/reload'));
  await expectReach('the change to lock the client out', false);
  assert.equal(await edge.stop(), 0, edge.rampart.output().slice(-2000));
  await edge.start();
  const reopened = await ok(api('GET', '/api/v1/config/commit-confirm/status'));
  assert.equal(reopened.active, true, 'the window survived the restart');
  assert.equal(await manage(), null, 'still locked out inside the window');
  await expectReach('the window to revert after the restart', true, 90_000);
  assert.equal((await ok(api('GET', '/api/v1/config/commit-confirm/status'))).status, 'reverted');
  const history = (await ok(api('GET', '/api/v1/config/history'))).data;
  assert.equal(history[0].created_by, 'commit-confirm');

  await lab.destroy();
  assert.deepEqual(lab.remaining(), []);
});

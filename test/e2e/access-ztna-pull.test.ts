/**
 * Revocation without the change push: the gateway agent runs with --no-push (a proxy that cuts long requests),
 * so it learns of a revocation from its ETag'd pull of the runtime routes alone, every --poll-interval (3 s
 * here). The device is still cut, within that interval (the latency is printed; the bench measures the push).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { waitFor } from '../helpers/wait.js';
import { RESOURCE_IP } from '../helpers/wg-lab.js';
import { PROGRAMS, ZtnaLab, type RunningDevice } from '../helpers/ztna-lab.js';

const skip = skipUnlessPrograms(...PROGRAMS);
const POLL_S = 3;

let z: ZtnaLab | undefined;
let device: RunningDevice;

before(async () => {
  if (skip) return;
  requirePrograms(...PROGRAMS);
  z = await ZtnaLab.start({ gatewayPollS: POLL_S, gatewayArgs: ['--no-push'] });
  const group = (await z.api('POST', '/v1/admin/groups/lifecycle', { action: 'create', name: 'ops' })).group.id;
  await z.api('POST', '/v1/admin/policy/publish', { channel: 'stable', rules: [{ name: 'ops', sources: { group_ids: [group] }, destinations: [{ cidr: `${RESOURCE_IP}/32`, protocol: 'tcp', ports: ['8080'] }] }] });
  device = await z.startDevice('deviceA', 'pull-laptop', { auto_group_ids: [group] });
});

after(async () => {
  const lab = z?.lab;
  await z?.destroy();
  if (lab) assert.deepEqual(lab.remaining(), [], 'namespaces removed');
});

test('without the push a revoked device is cut by the next pull of the runtime routes', { skip }, async () => {
  assert.match(z!.gateway!.output(), /no change push, pulling every 3s/);
  await waitFor('the device to be admitted', () => z!.lab.reaches('deviceA', 8080, 1), 45_000, 200).catch((err) => {
    throw new Error(`${err.message}\n${z!.context(device)}`);
  });
  const prober = z!.lab.startProber('deviceA', 8080);
  await waitFor('the prober to connect', () => prober.lastSuccessSince(Date.now() - 1000), 10_000);
  const revokedAt = Date.now();
  await z!.api('POST', '/v1/admin/devices/lifecycle', { action: 'revoke', device_id: device.device_id, reason: 'e2e pull' });
  const cutAt = await waitFor('the device to be cut', () => prober.cutSince(revokedAt), 4 * POLL_S * 1000);
  prober.stop();
  console.log(`revocation latency without the push (poll interval ${POLL_S} s): ${cutAt - revokedAt} ms`);
  await waitFor('the gateway to log the removal', () => /removed device .*: runtime routes changed/.test(z!.gateway!.output()), 10_000).catch((err) => {
    throw new Error(`${err.message}\n${z!.context(device)}`);
  });
  assert.doesNotMatch(z!.gateway!.output(), /change pushed/, 'the watch was never used');
});

/**
 * A directory snapshot cuts access on the data path: a user synced from the directory enrolls a device, which reaches
 * the protected resource through the lab's WireGuard gateway; a full snapshot that no longer lists the user suspends
 * them and revokes the device, and the gateway drops it (the ZTNA lab, test/helpers/ztna-lab.ts, 10.231.0.0/16).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { waitFor } from '../helpers/wait.js';
import { RESOURCE_IP } from '../helpers/wg-lab.js';
import { PROGRAMS, ZtnaLab, type RunningDevice } from '../helpers/ztna-lab.js';

const skip = skipUnlessPrograms(...PROGRAMS);

let z: ZtnaLab | undefined;
let device: RunningDevice;
let userId: string;

before(async () => {
  if (skip) return;
  requirePrograms(...PROGRAMS);
  z = await ZtnaLab.start();
  const first = await z.api('POST', '/v1/admin/directory-sync/snapshot', {
    source: 'scim', full: true, users: [{ external_id: 'u-1', email: 'dirsync-e2e@corp.example', name: 'Synced User' }, { external_id: 'u-2', email: 'stays@corp.example' }],
  });
  assert.equal(first.counts.created, 2);
  const users = await z.api('GET', '/v1/admin/users?limit=200');
  userId = users.users.find((u: { email: string }) => u.email === 'dirsync-e2e@corp.example').id;
  await z.api('POST', '/v1/admin/policy/publish', { channel: 'stable', rules: [{ name: 'synced', sources: { user_ids: [userId] }, destinations: [{ cidr: `${RESOURCE_IP}/32`, protocol: 'tcp', ports: ['8080'] }] }] });
  device = await z.startDevice('deviceA', 'synced-laptop', { bound_user_id: userId });
});

after(async () => {
  const lab = z?.lab;
  await z?.destroy();
  if (lab) assert.deepEqual(lab.remaining(), [], 'namespaces removed');
});

test('a full snapshot without the user suspends them and cuts their device at the gateway', { skip }, async () => {
  await waitFor('the device to be admitted', () => z!.lab.reaches('deviceA', 8080, 1), 45_000, 200).catch((err) => {
    throw new Error(`${err.message}\n${z!.context(device)}`);
  });
  const prober = z!.lab.startProber('deviceA', 8080);
  await waitFor('the prober to connect', () => prober.lastSuccessSince(Date.now() - 1000), 10_000);
  const syncedAt = Date.now();
  const run = await z!.api('POST', '/v1/admin/directory-sync/snapshot', { source: 'scim', full: true, users: [{ external_id: 'u-2', email: 'stays@corp.example' }] });
  assert.deepEqual([run.counts.suspended, run.counts.devices_revoked, run.counts.unchanged], [1, 1, 1]);
  const cutAt = await waitFor('the device to be cut', () => prober.cutSince(syncedAt), 15_000).catch((err) => {
    throw new Error(`${err.message}\n${z!.context(device)}`);
  });
  prober.stop();
  console.log(`directory snapshot to cut: ${cutAt - syncedAt} ms`);
  const d = await z!.api('GET', `/v1/admin/devices/${device.device_id}`);
  assert.equal(d.status, 'revoked');
  const users = await z!.api('GET', '/v1/admin/users?limit=200');
  assert.equal(users.users.find((u: { id: string }) => u.id === userId).status, 'suspended');
  assert.equal(await z!.lab.reaches('deviceA', 8080, 1), false, 'still cut');
});

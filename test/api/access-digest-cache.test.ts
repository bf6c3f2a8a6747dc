/**
 * The device's digest poll is served from caches (its credential, the live bundles, its canary membership): these
 * tests prove the caches forget what changed. A device revoked by another node (its row changed behind this node's
 * back) is refused on its first poll after that node's ACCESS_CHANGED arrives; a newly published bundle's digest is
 * served on the next poll. The clock stands still, so the credential cache's TTL cannot be what makes them pass.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACCESS_CHANGED, DEFAULT_TENANT_ID, type AccessChange } from '../../src/modules/access/access.types.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { testDevices } from '../helpers/access-policy-devices.js';

describe('access policy digest poll: its caches forget', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let group = '';
  const frozen = new Date();

  before(async () => {
    r = await createTestRampart({ now: () => frozen });
    admin = await signIn(r, { permissions: ['access_policy:publish', 'access_token:write', 'access_device:write'] });
    group = (await r.core.identity.groups.create({ name: 'eng' })).id;
  });
  after(() => r.cleanup());

  const publish = async (channel: 'stable' | 'canary', name: string, extra: Record<string, unknown> = {}) => {
    const rules = [{ name, sources: { group_ids: [group] }, destinations: [{ cidr: '10.233.8.0/24', protocol: 'tcp', ports: ['443'] }] }];
    const res = await r.app.inject({ method: 'POST', url: '/v1/admin/policy/publish', headers: admin.headers, payload: { channel, rules, ...extra } });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { digest: string; serial: number };
  };
  const poll = (headers: Record<string, string>, etag?: string) =>
    r.app.inject({ method: 'GET', url: '/v1/policy/digest', headers: { ...headers, ...(etag ? { 'if-none-match': etag } : {}) } });
  /** Resolves when this node's bus delivers an ACCESS_CHANGED naming the device. */
  const arrival = (deviceId: string) =>
    new Promise<void>((resolve) => r.core.events.subscribe(ACCESS_CHANGED, (e) => {
      if ((e.payload as AccessChange).device_ids?.includes(deviceId)) resolve();
    }));

  test('a device revoked on another node gets 401 on its first poll after the ACCESS_CHANGED, not before', async () => {
    await publish('stable', 'web');
    const d = await testDevices(r, () => admin).add({ groups: [group] });
    const first = await poll(d.headers);
    assert.equal(first.statusCode, 200, first.body);
    const etag = first.headers.etag as string;
    assert.equal((await poll(d.headers, etag)).statusCode, 304, 'an unchanged poll answers 304');

    // What another node's revoke leaves in the shared database; this node hears of it only through the bus.
    await r.core.db.kysely.updateTable('access_devices').set({ status: 'revoked' }).where('id', '=', d.device.id).execute();
    assert.equal((await poll(d.headers, etag)).statusCode, 304, 'the poll is answered from the credential cache (no query that would see the revoke)');

    const arrived = arrival(d.device.id);
    await r.core.events.publish<AccessChange>(ACCESS_CHANGED, { tenant_id: DEFAULT_TENANT_ID, reason: 'device', device_ids: [d.device.id] });
    await arrived;
    const refused = await poll(d.headers, etag);
    assert.equal(refused.statusCode, 401, refused.body);
    assert.equal(refused.json().error, 'unauthorized');
  });

  test('a bundle published to stable, then a canary for the device, is what the next poll names', async () => {
    const d = await testDevices(r, () => admin).add({ groups: [group] });
    const before = await poll(d.headers);
    assert.equal(before.statusCode, 200, before.body);
    const etag = before.headers.etag as string;
    assert.equal((await poll(d.headers, etag)).statusCode, 304);

    const stable = await publish('stable', 'web-2');
    const next = await poll(d.headers, etag);
    assert.equal(next.statusCode, 200, 'the old tag no longer matches');
    const body = next.json() as Record<string, unknown>;
    assert.deepEqual([body.digest, body.serial, body.channel], [stable.digest, stable.serial, 'stable']);
    assert.notEqual(next.headers.etag, etag);

    const canary = await publish('canary', 'web-canary', { canary: { group_ids: [group], percent: 0 } });
    const moved = await poll(d.headers, next.headers.etag as string);
    assert.equal(moved.statusCode, 200, moved.body);
    assert.deepEqual([moved.json().digest, moved.json().serial, moved.json().channel], [canary.digest, canary.serial, 'canary'], "the device's group puts it in the canary");
  });
});

/**
 * The access policy part through its routes: bundles on canary and stable (promote, rollback, serials, digests,
 * signatures), the ETag'd pulls, signers and their rotation overlap, SPCs and their revocation set, posture
 * verdicts, and the spec's error codes. Devices come from a test registry behind the enrollment hooks.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { accessServices } from '../../src/modules/access/access.services.js';
import { ACCESS_CHANGED, DEFAULT_TENANT_ID, type AccessChange } from '../../src/modules/access/access.types.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';
import { movableClock } from '../helpers/fleet-rows.js';
import { testDevices, type TestDevice } from '../helpers/access-policy-devices.js';
import { waitFor } from '../helpers/wait.js';
import { onPostgres } from '../helpers/db.js';
import { rotateSecretKey } from '../../src/core/secrets/rotate.js';
import { keyFilePath } from '../../src/core/secrets/keyring.js';

let ENG = '';
let OPS = '';
const RESOURCE = '10.233.7.10/32';

const rule = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  sources: { group_ids: [ENG] },
  destinations: [{ cidr: RESOURCE, protocol: 'tcp', ports: ['8080'] }],
  ...extra,
});

describe('access policy', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let reader: SignedIn;
  let devices: ReturnType<typeof testDevices>;
  const clock = movableClock();
  const changes: AccessChange[] = [];

  /** Moves the clock, and signs the admins in again (their sessions would have expired). */
  const advance = async (ms: number) => {
    clock.advance(ms);
    [admin, reader] = await Promise.all([
      signIn(r, { permissions: ['access_policy:read', 'access_policy:publish', 'access_trust:read', 'access_trust:write', 'access_token:write', 'access_device:write'] }),
      signIn(r, { permissions: ['access_policy:read'] }),
    ]);
  };

  before(async () => {
    r = await createTestRampart({ now: clock.now, overrides: { 'access.enroll_rate_limit_per_minute': 10_000 } });
    devices = testDevices(r, () => admin);
    ENG = (await r.core.identity.groups.create({ name: 'eng' })).id;
    OPS = (await r.core.identity.groups.create({ name: 'ops' })).id;
    r.core.events.subscribe(ACCESS_CHANGED, (e) => void changes.push(e.payload as AccessChange));
    await advance(0);
  });
  after(() => r.cleanup());

  const call = (method: 'GET' | 'POST', url: string, headers?: Record<string, string>, payload?: object) =>
    r.app.inject({ method, url, headers: headers ?? {}, ...(payload ? { payload } : {}) });
  const publish = async (payload: object) => {
    const res = await call('POST', '/v1/admin/policy/publish', admin.headers, payload);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { bundle_id: string; serial: number; digest: string; channel: string };
  };
  const bundleOf = async (d: TestDevice) => {
    const res = await call('GET', '/v1/policy/bundle', d.headers);
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };
  const issue = async (d: TestDevice, ttl_seconds?: number) => {
    const res = await call('POST', '/v1/spc/issue', d.headers, ttl_seconds ? { ttl_seconds } : {});
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { spc: string; serial: number; expires_at: string; kid: string };
  };
  const validate = async (spc: string) => (await call('GET', `/v1/spc/validate?spc=${encodeURIComponent(spc)}`)).json();

  test('stable and canary: only the canary subset sees the canary bundle; promote and rollback; serials only grow', async () => {
    const inList = await devices.add({ groups: [OPS] });
    const inGroup = await devices.add({ groups: [ENG] });
    const onChannel = await devices.add({ channel: 'canary' });
    const outside = await devices.add({ groups: [OPS] });
    const before = await call('GET', '/v1/policy/bundle', outside.headers);
    assert.equal(before.statusCode, 404, 'nothing published yet');
    assert.equal(before.json().error, 'not_found');

    const stable = await publish({ channel: 'stable', rules: [rule('eng-web')] });
    const canary = await publish({ channel: 'canary', rules: [rule('eng-web', { destinations: [{ cidr: RESOURCE, protocol: 'tcp', ports: ['8080', '8081'] }] })], canary: { device_ids: [inList.device.id], group_ids: [ENG] } });
    assert.ok(canary.serial > stable.serial);
    assert.notEqual(canary.digest, stable.digest);

    for (const d of [inList, inGroup, onChannel]) {
      const b = await bundleOf(d);
      assert.equal(b.channel, 'canary');
      assert.equal(b.digest, canary.digest);
      assert.deepEqual(b.rules[0].destinations[0].ports, ['8080', '8081']);
      assert.equal(b.canary, undefined, 'devices do not learn who else is in the canary');
    }
    const other = await bundleOf(outside);
    assert.equal(other.channel, 'stable');
    assert.equal(other.digest, stable.digest);
    assert.equal(other.serial, stable.serial);

    const promoted = (await call('POST', '/v1/admin/policy/promote', admin.headers, {})).json();
    assert.equal(promoted.channel, 'stable');
    assert.equal(promoted.digest, canary.digest, 'promote publishes the same content');
    assert.ok(promoted.serial > canary.serial);
    for (const d of [inList, outside]) assert.deepEqual([(await bundleOf(d)).channel, (await bundleOf(d)).serial], ['stable', promoted.serial]);
    assert.equal((await call('POST', '/v1/admin/policy/promote', admin.headers, {})).statusCode, 409, 'no canary left to promote');

    const rolled = (await call('POST', '/v1/admin/policy/rollback', admin.headers, { channel: 'stable' })).json();
    assert.equal(rolled.digest, stable.digest, 'back to the previous stable content');
    assert.ok(rolled.serial > promoted.serial, 'a rollback still moves the serial forward');
    assert.equal((await bundleOf(outside)).digest, stable.digest);
    const promotedRow = (await call('GET', `/v1/admin/policy/bundles/${promoted.bundle_id}`, reader.headers)).json();
    assert.equal(promotedRow.status, 'rolled_back');

    const list = (await call('GET', '/v1/admin/policy/bundles?limit=2', reader.headers)).json();
    assert.deepEqual(list.items.map((b: any) => b.serial), [rolled.serial, promoted.serial]);
    const rest = (await call('GET', `/v1/admin/policy/bundles?limit=200&cursor=${list.next_cursor}`, reader.headers)).json();
    assert.deepEqual(rest.items.map((b: any) => b.serial), [canary.serial, stable.serial]);
    assert.equal(rest.next_cursor, null);

    // Canary rollback: the canary devices fall back to stable.
    await publish({ channel: 'canary', rules: [rule('canary-only')], canary: { device_ids: [inList.device.id] } });
    assert.equal((await bundleOf(inList)).channel, 'canary');
    assert.equal((await call('POST', '/v1/admin/policy/rollback', admin.headers, { channel: 'canary' })).statusCode, 200);
    assert.equal((await bundleOf(inList)).channel, 'stable');
    assert.equal((await call('POST', '/v1/admin/policy/rollback', admin.headers, { channel: 'canary' })).statusCode, 409);
    await waitFor('bundle changes announced', () => changes.filter((c) => c.reason === 'bundle').length >= 6);
  });

  test('serials stay unique and increasing under concurrent publishes', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => call('POST', '/v1/admin/policy/publish', admin.headers, { channel: 'stable', rules: [rule(`r${i}`)] })));
    const serials = results.map((res) => {
      assert.equal(res.statusCode, 200, res.body);
      return res.json().serial as number;
    });
    assert.equal(new Set(serials).size, serials.length);
    const live = (await call('GET', '/v1/admin/policy/bundles?status=stable', reader.headers)).json();
    assert.equal(live.items.length, 1, 'exactly one live stable bundle');
    assert.equal(live.items[0].serial, Math.max(...serials), 'the last publication is the live one');
  });

  test('the digest is of canonical JSON: key order and rule order do not change it; the signature verifies with the anchor', async () => {
    const a = await publish({ channel: 'stable', rules: [rule('x', { priority: 5 }), rule('y', { priority: 9 })], posture: { required: ['firewall_on'] } });
    const shuffled = {
      posture: { required: ['firewall_on'] },
      rules: [
        { destinations: [{ ports: ['8080'], protocol: 'tcp', cidr: RESOURCE }], priority: 9, sources: { group_ids: [ENG] }, name: 'y' },
        { priority: 5, name: 'x', destinations: [{ protocol: 'tcp', cidr: RESOURCE, ports: ['8080'] }], sources: { group_ids: [ENG] } },
      ],
      channel: 'stable',
    };
    const b = await publish(shuffled);
    assert.equal(b.digest, a.digest);
    assert.match(a.digest, /^sha256:[0-9a-f]{64}$/);

    const bundle = (await call('GET', `/v1/admin/policy/bundles/${b.bundle_id}`, reader.headers)).json();
    const anchors = (await call('GET', '/v1/trust/anchors')).json();
    const anchor = anchors.anchors.find((x: any) => x.kid === bundle.kid);
    assert.ok(anchor, 'the signing kid is among the anchors');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: anchor.public_key }, format: 'jwk' });
    const signed = `{"channel":"stable","digest":"${bundle.digest}","serial":${bundle.serial},"tenant_id":"${DEFAULT_TENANT_ID}"}`;
    assert.equal(verify(null, Buffer.from(signed), key, Buffer.from(bundle.signature, 'base64url')), true);
    const replayed = signed.replace(`"serial":${bundle.serial}`, `"serial":${bundle.serial + 1}`);
    assert.equal(verify(null, Buffer.from(replayed), key, Buffer.from(bundle.signature, 'base64url')), false, 'the serial is signed too');
  });

  test('ETag and 304 on /v1/policy/bundle, /v1/policy/digest, /v1/trust/anchors and /v1/spc/bundle in every If-None-Match form', async () => {
    const d = await devices.add({ groups: [ENG] });
    await publish({ channel: 'stable', rules: [rule('etag')] });
    for (const url of ['/v1/policy/bundle', '/v1/policy/digest', '/v1/trust/anchors', '/v1/spc/bundle']) {
      const first = await call('GET', url, d.headers);
      assert.equal(first.statusCode, 200, `${url}: ${first.body}`);
      const etag = first.headers.etag as string;
      assert.match(etag, /^"[^"]+"$/, url);
      const bare = etag.slice(1, -1);
      for (const form of [etag, bare, `W/${etag}`, `"nope", ${etag}`, '*']) {
        const again = await call('GET', url, { ...d.headers, 'if-none-match': form });
        assert.equal(again.statusCode, 304, `${url} with ${form}`);
        assert.equal(again.body, '');
        assert.equal(again.headers.etag, etag);
      }
      assert.equal((await call('GET', url, { ...d.headers, 'if-none-match': '"other"' })).statusCode, 200, url);
    }
    const digest = await call('GET', '/v1/policy/digest', d.headers);
    const body = digest.json();
    assert.deepEqual(Object.keys(body).sort(), ['channel', 'digest', 'published_at', 'serial']);
    assert.equal(digest.headers.etag, (await call('GET', '/v1/policy/bundle', d.headers)).headers.etag, 'bundle and digest share the tag');
    await publish({ channel: 'stable', rules: [rule('etag-2')] });
    const after = await call('GET', '/v1/policy/digest', { ...d.headers, 'if-none-match': digest.headers.etag as string });
    assert.equal(after.statusCode, 200, 'a new bundle is a new tag');
    assert.ok(after.json().serial > body.serial);
  });

  test('signer rotation: an SPC signed by the old key verifies during the overlap and until it expires, not after', async () => {
    const d = await devices.add({ groups: [ENG] });
    const old = await issue(d, 3600);
    assert.equal((await validate(old.spc)).valid, true);
    const digestTagBefore = (await call('GET', '/v1/policy/digest', d.headers)).headers.etag as string;
    const rotated = await call('POST', '/v1/trust/anchors/rotate', admin.headers, { overlap_seconds: 7200 });
    assert.equal(rotated.statusCode, 200, rotated.body);
    assert.equal(rotated.json().retiring, old.kid);
    await waitFor('the rotation announced', () => changes.some((c) => c.reason === 'signer'));
    const liveBundle = (await call('GET', '/v1/admin/policy/bundles?status=stable', reader.headers)).json().items[0];
    assert.equal(liveBundle.kid, rotated.json().active, 'the live bundle is signed again by the new key');
    const pulled = await call('GET', '/v1/policy/digest', { ...d.headers, 'if-none-match': digestTagBefore });
    assert.equal(pulled.statusCode, 200, 'a re-signed bundle is a new tag, so devices fetch the new signature');
    const signers = (await call('GET', '/v1/admin/settings/signers', admin.headers)).json().items;
    assert.equal(signers.find((s: any) => s.kid === old.kid).state, 'retiring');
    assert.equal(signers.filter((s: any) => s.state === 'active').length, 1);
    assert.ok(signers.every((s: any) => !('private_key_sealed' in s) && !('private_key' in s)), 'no private halves');

    const fresh = await issue(d, 3600);
    assert.notEqual(fresh.kid, old.kid, 'new SPCs come from the new active signer');
    const during = await validate(old.spc);
    assert.deepEqual([during.valid, during.claims.device_id], [true, d.device.id]);

    // The old key verifies for the overlap, and longer if an SPC it signed lives longer (the enrolment SPCs do).
    const retireAfter = Date.parse(signers.find((s: any) => s.kid === old.kid).retire_after);
    assert.ok(retireAfter >= Date.parse(old.expires_at) && retireAfter >= clock.now().getTime() + 7200_000 - 5_000, 'retires after its overlap and its SPCs');
    await advance(3601_000);
    assert.deepEqual(await validate(old.spc), { valid: false, reason: 'expired', claims: (await validate(old.spc)).claims });
    const other = (await validate(d.enrolled.spc.spc));
    assert.equal(other.valid, Date.parse(d.enrolled.spc.expires_at) > clock.now().getTime(), 'a longer-lived SPC of the old key still verifies');
    await advance(retireAfter - clock.now().getTime() + 1000);
    const anchors = (await call('GET', '/v1/trust/anchors')).json();
    assert.ok(!anchors.anchors.some((a: any) => a.kid === old.kid), 'the retired key is no longer an anchor');
    assert.equal((await validate(old.spc)).reason, 'unknown_kid', 'past the overlap the old key verifies nothing');
    assert.ok((await accessServices(r.core).policy.signers.retireDue()) >= 1, 'the sweep writes the retirement down');
    const rows = await r.core.db.kysely.selectFrom('access_signers').select(['kid', 'state', 'public_key', 'private_key_sealed']).execute();
    assert.equal(rows.find((x) => x.kid === old.kid)?.state, 'retired');
    for (const row of rows) {
      // Sealed at rest: a secret-box ciphertext, whose plaintext is the PKCS#8 key of the published public half.
      assert.ok(!row.private_key_sealed.includes('MC4CAQAwBQYDK2Vw'), 'no PKCS#8 DER in the clear');
      const der = r.core.secrets.open(row.private_key_sealed, 'access_signers.private_key_sealed');
      const pub = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' }).x;
      assert.equal(pub, row.public_key);
    }

    // A key nobody knows, and a tampered payload.
    const { privateKey } = generateKeyPairSync('ed25519');
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${b64({ alg: 'EdDSA', kid: 'k-unknown' })}.${b64({ tenant_id: DEFAULT_TENANT_ID, serial: 1, exp: 4102444800 })}`;
    const forged = `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
    assert.equal((await validate(forged)).reason, 'unknown_kid');
    for (const claims of [{ tenant_id: 'not-a-uuid' }, { tenant_id: 42 }, {}]) {
      const header = b64({ alg: 'EdDSA', kid: 'k-x' });
      const res = await call('GET', `/v1/spc/validate?spc=${header}.${b64(claims)}.AAAA`);
      assert.deepEqual([res.statusCode, res.json().reason], [200, 'unknown_kid'], JSON.stringify(claims));
    }
    const now = await issue(d, 3600);
    const [h, , s] = now.spc.split('.');
    const claims = JSON.parse(Buffer.from(now.spc.split('.')[1], 'base64url').toString());
    assert.equal((await validate(`${h}.${b64({ ...claims, device_id: 'someone-else' })}.${s}`)).reason, 'bad_signature');
    assert.equal((await validate('not-a-jws')).reason, 'malformed');
  });

  test('SPC revoke: validate says revoked; the entry stays in the bundle until the SPC would have expired, then is pruned', async () => {
    const d = await devices.add({ groups: [ENG] });
    const spc = await issue(d, 600);
    const revoked = await call('POST', '/v1/spc/revoke', admin.headers, { serial: spc.serial, reason: 'lost laptop' });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.deepEqual(revoked.json().revoked, [spc.serial]);
    assert.equal((await validate(spc.spc)).reason, 'revoked');
    const again = await call('POST', '/v1/spc/revoke', admin.headers, { serial: spc.serial });
    assert.deepEqual([again.statusCode, again.json().error], [409, 'conflict']);
    await waitFor('spc revocation announced', () => changes.some((c) => c.reason === 'spc' && c.device_ids?.includes(d.device.id)));

    const listed = async () => (await call('GET', '/v1/spc/bundle', d.headers)).json().revoked.map((x: any) => x.serial);
    assert.ok((await listed()).includes(spc.serial));
    const { policy } = accessServices(r.core);
    await policy.spcs.prune();
    assert.ok((await listed()).includes(spc.serial), 'not pruned before the SPC expires');
    const rowCount = async () => (await r.core.db.kysely.selectFrom('access_spc_revocations').select('serial').where('serial', '=', spc.serial).execute()).length;
    assert.equal(await rowCount(), 1);
    await advance(601_000);
    assert.ok(!(await listed()).includes(spc.serial), 'an expired entry is no longer served');
    assert.ok((await policy.spcs.prune()) >= 1);
    assert.equal(await rowCount(), 0, 'and is pruned');

    // By device: every live SPC of it.
    const a = await issue(d, 600);
    const b = await issue(d, 600);
    const byDevice = (await call('POST', '/v1/spc/revoke', admin.headers, { device_id: d.device.id })).json();
    assert.deepEqual(byDevice.revoked.sort(), [d.enrolled.spc.serial, a.serial, b.serial].sort(), 'with the SPC it got at enrolment');
    assert.equal((await validate(b.spc)).reason, 'revoked');
  });

  test('SPC rotate supersedes the old one after a grace', async () => {
    const d = await devices.add();
    const first = await issue(d, 3600);
    const rotated = await call('POST', '/v1/spc/rotate', d.headers, {});
    assert.equal(rotated.statusCode, 200, rotated.body);
    assert.ok(rotated.json().serial > first.serial);
    assert.equal((await validate(first.spc)).valid, true, 'within the grace');
    await advance(301_000);
    assert.equal((await validate(first.spc)).reason, 'superseded');
    assert.equal((await validate(rotated.json().spc)).valid, true);
  });

  test('posture: noncompliant revokes the SPC and cuts destinations; compliant again allows a new SPC', async () => {
    const d = await devices.add({ groups: [ENG] });
    const { hooks } = accessServices(r.core);
    await publish({
      channel: 'stable',
      posture: { required: ['disk_encrypted'], min_client_version: '1.2' },
      rules: [rule('web'), rule('admin', { destinations: [{ cidr: '10.233.7.11', protocol: 'tcp', ports: ['22'] }], require_posture: ['firewall_on'] })],
    });
    const good = { disk_encrypted: true, firewall_on: false, client_version: '1.2.3' };
    const ok = await call('POST', '/v1/posture/assertion', d.headers, { facts: good });
    assert.deepEqual(ok.json(), { verdict: 'compliant', failed_checks: [], recheck_after: 300 });
    assert.deepEqual(await hooks.allowedDestinations(d.device.id), [{ cidr: RESOURCE, protocol: 'tcp', ports: ['8080'] }], 'the firewall rule needs firewall_on');
    await call('POST', '/v1/posture/assertion', d.headers, { facts: { ...good, firewall_on: true } });
    assert.equal((await hooks.allowedDestinations(d.device.id)).length, 2);
    const spc = await issue(d);

    const seen = changes.length;
    const bad = await call('POST', '/v1/posture/assertion', d.headers, { facts: { ...good, disk_encrypted: false, client_version: '1.1.9' } });
    assert.deepEqual(bad.json(), { verdict: 'noncompliant', failed_checks: ['client_version', 'disk_encrypted'], recheck_after: 300 });
    assert.equal((await validate(spc.spc)).reason, 'revoked');
    assert.deepEqual(await hooks.allowedDestinations(d.device.id), []);
    assert.equal((await hooks.posture(d.device.id)).verdict, 'noncompliant');
    await waitFor('posture change announced', () => changes.slice(seen).some((c) => c.reason === 'posture' && c.device_ids?.includes(d.device.id)));
    const refused = await call('POST', '/v1/spc/issue', d.headers, {});
    assert.deepEqual([refused.statusCode, refused.json().error], [403, 'forbidden']);

    await call('POST', '/v1/posture/assertion', d.headers, { facts: { ...good, firewall_on: true } });
    await issue(d);
    assert.equal((await hooks.allowedDestinations(d.device.id)).length, 2);
  });

  test('allowedDestinations: sources by group, user or device; deny rules; disabled rules; inactive devices', async () => {
    const user = (await r.core.identity.users.create({ username: 'dest-user', password: 'correct horse battery staple', roles: [] })).id;
    const d = await devices.add({ groups: [OPS], user_id: user });
    const { hooks } = accessServices(r.core);
    await publish({
      channel: 'stable',
      rules: [
        { name: 'deny-db', priority: 1, action: 'deny', sources: { group_ids: [OPS] }, destinations: [{ cidr: '10.233.9.5/32', protocol: 'tcp', ports: ['5432'] }] },
        { name: 'by-user', sources: { user_ids: [user] }, destinations: [{ cidr: '10.233.9.0/24', protocol: 'udp', ports: ['53'] }, { cidr: '10.233.9.5/32', protocol: 'tcp', ports: ['5432'] }] },
        { name: 'by-device', sources: { device_ids: [d.device.id] }, destinations: [{ cidr: '10.233.9.6', protocol: 'icmp' }] },
        { name: 'off', enabled: false, sources: { group_ids: [OPS] }, destinations: [{ cidr: '10.233.9.7/32' }] },
        { name: 'eng-only', sources: { group_ids: [ENG] }, destinations: [{ cidr: '10.233.9.8/32' }] },
      ],
    });
    const byCidr = (xs: { cidr: string }[]) => [...xs].sort((a, b) => a.cidr.localeCompare(b.cidr));
    assert.deepEqual(byCidr(await hooks.allowedDestinations(d.device.id)), [
      { cidr: '10.233.9.0/24', protocol: 'udp', ports: ['53'] },
      { cidr: '10.233.9.6/32', protocol: 'icmp', ports: [] },
    ]);
    await devices.lifecycle(d, 'suspend');
    assert.deepEqual(await hooks.allowedDestinations(d.device.id), []);
    const res = await call('GET', '/v1/policy/digest', d.headers);
    assert.deepEqual([res.statusCode, res.json().error], [403, 'forbidden']);
  });

  test('GET /v1/admin/policy/diff: added, removed and changed rules between two digests', async () => {
    const from = await publish({ channel: 'stable', rules: [rule('keep'), rule('drop'), rule('edit')] });
    const to = await publish({ channel: 'stable', rules: [rule('keep'), rule('edit', { destinations: [{ cidr: RESOURCE, protocol: 'tcp', ports: ['9090'] }], priority: 7 }), rule('new')] });
    const res = await call('GET', `/v1/admin/policy/diff?from=${from.digest}&to=${to.digest}`, reader.headers);
    assert.equal(res.statusCode, 200, res.body);
    const diff = res.json();
    assert.deepEqual(diff.added.map((x: any) => x.id), ['new']);
    assert.deepEqual(diff.removed.map((x: any) => x.id), ['drop']);
    assert.deepEqual(diff.changed.map((x: any) => [x.id, x.fields]), [['edit', ['destinations', 'priority']]]);
    assert.equal(diff.identical, false);
    assert.equal((await call('GET', `/v1/admin/policy/diff?from=${from.digest}&to=${from.digest}`, reader.headers)).json().identical, true);
    const unknown = await call('GET', `/v1/admin/policy/diff?from=sha256:${'0'.repeat(64)}&to=${to.digest}`, reader.headers);
    assert.deepEqual([unknown.statusCode, unknown.json().error], [404, 'not_found']);
    const bad = await call('GET', `/v1/admin/policy/diff?from=abc&to=${to.digest}`, reader.headers);
    assert.deepEqual([bad.statusCode, bad.json().error], [422, 'validation_error']);
  });

  test("the spec's error codes on each route: 401, 403, 404, 409, 422, and nothing changes on refusal", async () => {
    const d = await devices.add();
    const serialBefore = async () => (await call('GET', '/v1/admin/policy/bundles?limit=1', reader.headers)).json().items[0]?.serial;
    const start = await serialBefore();
    const expectError = async (res: { statusCode: number; json(): any }, status: number, code: string, what: string) => {
      assert.equal(res.statusCode, status, what);
      assert.equal(res.json().error, code, what);
      assert.equal(typeof res.json().detail, 'string', what);
    };
    const body = { channel: 'stable', rules: [rule('e')] };
    // 401: no credential, or a credential that is not a device's.
    await expectError(await call('POST', '/v1/admin/policy/publish', {}, body), 401, 'unauthorized', 'publish without a credential');
    for (const url of ['/v1/policy/bundle', '/v1/policy/digest', '/v1/spc/bundle']) await expectError(await call('GET', url, { authorization: 'Bearer nope' }), 401, 'unauthorized', url);
    for (const [url, payload] of [['/v1/spc/issue', {}], ['/v1/spc/rotate', {}], ['/v1/posture/assertion', { facts: {} }]] as const) {
      await expectError(await call('POST', url, {}, payload), 401, 'unauthorized', url);
    }
    await expectError(await call('POST', '/v1/trust/anchors/rotate', {}, {}), 401, 'unauthorized', 'rotate');
    await expectError(await call('POST', '/v1/spc/revoke', {}, { serial: 1 }), 401, 'unauthorized', 'revoke');
    await expectError(await call('GET', '/v1/admin/settings/signers'), 401, 'unauthorized', 'signers');
    // 403: an admin without the permission; a device acting for another; a device that is not active.
    await expectError(await call('POST', '/v1/admin/policy/publish', reader.headers, body), 403, 'forbidden', 'publish by a reader');
    await expectError(await call('POST', '/v1/trust/anchors/rotate', reader.headers, {}), 403, 'forbidden', 'rotate by a reader');
    await expectError(await call('GET', '/v1/spc/bundle', reader.headers), 403, 'forbidden', 'spc bundle by a policy reader');
    await expectError(await call('POST', '/v1/spc/issue', d.headers, { device_id: '44444444-4444-4444-8444-444444444444' }), 403, 'forbidden', 'issue for another');
    await devices.lifecycle(d, 'suspend');
    await expectError(await call('POST', '/v1/spc/issue', d.headers, {}), 403, 'forbidden', 'issue to a suspended device');
    await expectError(await call('POST', '/v1/posture/assertion', d.headers, { facts: {} }), 403, 'forbidden', 'posture of a suspended device');
    await devices.lifecycle(d, 'reactivate');
    // 404
    await expectError(await call('GET', '/v1/admin/policy/bundles/55555555-5555-4555-8555-555555555555', reader.headers), 404, 'not_found', 'bundle');
    await expectError(await call('POST', '/v1/admin/policy/publish', admin.headers, { channel: 'stable', bundle_id: '55555555-5555-4555-8555-555555555555' }), 404, 'not_found', 'publish unknown bundle');
    await expectError(await call('POST', '/v1/spc/revoke', admin.headers, { serial: 999999 }), 404, 'not_found', 'revoke unknown serial');
    await expectError(await call('POST', '/v1/spc/revoke', admin.headers, { device_id: '55555555-5555-4555-8555-555555555555' }), 404, 'not_found', 'revoke unknown device');
    // 409
    await expectError(await call('POST', '/v1/admin/policy/promote', admin.headers, {}), 409, 'conflict', 'promote without a canary');
    // 422
    const invalid: [string, object][] = [
      ['rules and bundle_id', { channel: 'stable', rules: [rule('a')], bundle_id: '55555555-5555-4555-8555-555555555555' }],
      ['neither', { channel: 'stable' }],
      ['bad channel', { channel: 'beta', rules: [rule('a')] }],
      ['bad port', { channel: 'stable', rules: [rule('a', { destinations: [{ cidr: RESOURCE, protocol: 'tcp', ports: ['70000'] }] })] }],
      ['reversed range', { channel: 'stable', rules: [rule('a', { destinations: [{ cidr: RESOURCE, protocol: 'tcp', ports: ['90-80'] }] })] }],
      ['ports on icmp', { channel: 'stable', rules: [rule('a', { destinations: [{ cidr: RESOURCE, protocol: 'icmp', ports: ['80'] }] })] }],
      ['bad cidr', { channel: 'stable', rules: [rule('a', { destinations: [{ cidr: '10.0.0.0/33' }] })] }],
      ['no destinations', { channel: 'stable', rules: [rule('a', { destinations: [] })] }],
      ['duplicate ids', { channel: 'stable', rules: [rule('a'), rule('a')] }],
      ['canary on stable', { channel: 'stable', rules: [rule('a')], canary: { percent: 10 } }],
      ['unknown posture check', { channel: 'stable', rules: [rule('a', { require_posture: ['vibes'] })] }],
      ['unknown field', { channel: 'stable', rules: [rule('a')], colour: 'red' }],
    ];
    for (const [what, payload] of invalid) await expectError(await call('POST', '/v1/admin/policy/publish', admin.headers, payload), 422, 'validation_error', what);
    await expectError(await call('POST', '/v1/spc/issue', d.headers, { ttl_seconds: 8 * 24 * 3600 }), 422, 'validation_error', 'ttl over 7 days');
    await expectError(await call('POST', '/v1/spc/revoke', admin.headers, {}), 422, 'validation_error', 'revoke without a target');
    await expectError(await call('POST', '/v1/trust/anchors/rotate', admin.headers, { overlap_seconds: -1 }), 422, 'validation_error', 'negative overlap');
    await expectError(await call('POST', '/v1/posture/assertion', d.headers, { facts: { disk_encrypted: 'yes' } }), 422, 'validation_error', 'posture fact type');
    await expectError(await call('GET', '/v1/spc/validate'), 422, 'validation_error', 'validate without spc');
    await expectError(await call('GET', '/v1/admin/policy/bundles?limit=0', reader.headers), 422, 'validation_error', 'limit 0');
    assert.equal(await serialBefore(), start, 'no refused publish changed anything');
  });
});

test('two nodes on one PostgreSQL database: a bundle published on one is served by the other at once after the push', { skip: !onPostgres && 'needs PostgreSQL (set RAMPART_TEST_DATABASE_URL)' }, async () => {
  const a = await createTestRampart();
  const b = await createTestRampart({ tdb: a.tdb });
  try {
    const admin = await signIn(a, { permissions: ['access_policy:publish', 'access_token:write'] });
    const d = await testDevices(a, () => admin).add();
    const publish = async (name: string) => {
      const res = await a.app.inject({ method: 'POST', url: '/v1/admin/policy/publish', headers: admin.headers, payload: { channel: 'stable', rules: [{ name, destinations: [{ cidr: '10.233.0.1' }] }] } });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().serial as number;
    };
    const servedBy = async (node: TestRampart) => (await node.app.inject({ method: 'GET', url: '/v1/policy/digest', headers: d.headers })).json().serial as number;
    const first = await publish('one');
    assert.equal(await servedBy(b), first, 'node b loads the live bundle (and caches it)');
    const second = await publish('two');
    await waitFor('node b to serve the new bundle', async () => (await servedBy(b)) === second);
  } finally {
    await b.cleanup();
    await a.cleanup();
  }
});

test('`rampart secrets rotate` re-encrypts the signer keys, and a server on the new key signs with them', async () => {
  const a = await createTestRampart();
  let b: TestRampart | undefined;
  try {
    const admin = await signIn(a, { permissions: ['access_policy:publish', 'access_trust:write'] });
    const publish = (node: TestRampart, who: SignedIn) =>
      node.app.inject({ method: 'POST', url: '/v1/admin/policy/publish', headers: who.headers, payload: { channel: 'stable', rules: [{ name: 'r', destinations: [{ cidr: '10.233.0.1' }] }] } });
    assert.equal((await publish(a, admin)).statusCode, 200);
    const summary = await rotateSecretKey({ db: a.core.db, registry: a.core.sealedColumns, keyFilePath: keyFilePath(a.config) });
    assert.equal(summary.rows_reencrypted['access_signers.private_key_sealed'], 2, 'the active and the next signer');
    b = await createTestRampart({ tdb: a.tdb });
    const adminB = await signIn(b, { permissions: ['access_policy:publish', 'access_trust:write'] });
    const rotated = await b.app.inject({ method: 'POST', url: '/v1/trust/anchors/rotate', headers: adminB.headers, payload: {} });
    assert.equal(rotated.statusCode, 200, rotated.body);
    const res = await publish(b, adminB);
    assert.equal(res.statusCode, 200, res.body);
    const bundle = await b.core.db.kysely.selectFrom('access_policy_bundles').select(['kid', 'signature', 'digest', 'serial']).where('id', '=', res.json().bundle_id).executeTakeFirstOrThrow();
    assert.equal(bundle.kid, rotated.json().active, 'signed by the key sealed under the new secret key');
  } finally {
    await b?.cleanup();
    await a.cleanup();
  }
});

test('the hooks other parts call answer ids of any shape without an error', async () => {
  const r = await createTestRampart();
  try {
    const { hooks } = accessServices(r.core);
    for (const id of ['not-a-uuid', '', "x' or 1=1 --", '55555555-5555-4555-8555-555555555555']) {
      assert.deepEqual(await hooks.allowedDestinations(id), [], id);
      assert.equal((await hooks.posture(id)).verdict, 'unknown', id);
      assert.equal(await hooks.spcStatus(DEFAULT_TENANT_ID, id), null, id);
      await hooks.revokeSpcs([id], 'test');
    }
  } finally {
    await r.cleanup();
  }
});

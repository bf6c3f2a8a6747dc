/** The policy part's pure pieces: canonical JSON and digests, posture verdicts, canary membership, compact JWS. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { canonicalJson, digestOf } from '../../src/modules/access/policy/canonical.js';
import { judge, versionAtLeast } from '../../src/modules/access/policy/posture-checks.js';
import { canaryBucket, inCanary } from '../../src/modules/access/policy/policy-for.js';
import { generateEd25519, parseCompactJws, privateKeyFrom, publicKeyFrom, signCompactJws, verifyBytes } from '../../src/modules/access/policy/jws.js';
import { postureRequirementsSchema } from '../../src/modules/access/policy/bundle.model.js';

test('canonical JSON sorts keys at every depth, keeps array order, drops undefined, and has no spaces', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined }), '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  assert.equal(canonicalJson([undefined, null, 'é']), '[null,null,"é"]');
  assert.equal(digestOf({ x: 1, y: [1, 2] }), digestOf({ y: [1, 2], x: 1 }));
  assert.notEqual(digestOf({ y: [1, 2] }), digestOf({ y: [2, 1] }), 'array order is content');
  assert.equal(digestOf({}), 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  assert.throws(() => canonicalJson({ n: Number.NaN }));
});

test('posture: required checks decide the verdict; versions compare part by part', () => {
  const req = postureRequirementsSchema.parse({ required: ['disk_encrypted', 'firewall_on'], min_client_version: '2.0', min_os_version: { linux: '6.1' } });
  assert.deepEqual(judge({ disk_encrypted: true, firewall_on: true, client_version: '2.0.1', os_version: '6.1.0-13-amd64' }, req, 'linux'), { verdict: 'compliant', failed_checks: [] });
  assert.deepEqual(judge({ disk_encrypted: true, client_version: '1.9', os_version: '5.10' }, req, 'linux'), { verdict: 'noncompliant', failed_checks: ['client_version', 'firewall_on', 'os_version'] });
  assert.deepEqual(judge({ disk_encrypted: true, firewall_on: true, client_version: '2' }, req, 'windows'), { verdict: 'compliant', failed_checks: [] }, 'no OS minimum for windows');
  assert.deepEqual(judge({}, postureRequirementsSchema.parse({}), 'linux'), { verdict: 'compliant', failed_checks: [] });
  assert.equal(versionAtLeast('10.0', '9.9'), true);
  assert.equal(versionAtLeast('1.10', '1.9'), true);
  assert.equal(versionAtLeast('1.2', '1.2.1'), false);
  assert.equal(versionAtLeast('beta', '1'), false);
  assert.equal(versionAtLeast(undefined, '1'), false);
});

test('canary membership: listed devices, groups, the canary channel, and a stable percent bucket', () => {
  const sel = { device_ids: ['d1'], group_ids: ['g1'], percent: 0 };
  assert.equal(inCanary({ id: 'd1', channel: 'stable' }, [], sel), true);
  assert.equal(inCanary({ id: 'd2', channel: 'stable' }, ['g1'], sel), true);
  assert.equal(inCanary({ id: 'd3', channel: 'canary' }, [], null), true);
  assert.equal(inCanary({ id: 'd4', channel: 'stable' }, ['g2'], sel), false);
  const ids = Array.from({ length: 2000 }, (_, i) => `device-${i}`);
  const at = (percent: number) => new Set(ids.filter((id) => inCanary({ id, channel: 'stable' }, [], { device_ids: [], group_ids: [], percent })));
  const ten = at(10);
  const thirty = at(30);
  assert.ok(ten.size > 100 && ten.size < 300, `about 10% (${ten.size})`);
  assert.ok([...ten].every((id) => thirty.has(id)), 'raising the percent only adds devices');
  assert.equal(at(100).size, ids.length);
  assert.equal(canaryBucket('x'), canaryBucket('x'));
});

test('compact JWS: EdDSA signature over header.payload, verified with the raw public key; tampering fails', () => {
  const pair = generateEd25519();
  const token = signCompactJws(privateKeyFrom(pair.privateKeyDer), { kid: 'k1' }, { sub: 'd1', exp: 1 });
  const parsed = parseCompactJws(token)!;
  assert.deepEqual(parsed.header, { kid: 'k1', alg: 'EdDSA' });
  assert.deepEqual(parsed.payload, { sub: 'd1', exp: 1 });
  assert.equal(verifyBytes(publicKeyFrom(pair.publicKey), parsed.signingInput, parsed.signature), true);
  const other = generateKeyPairSync('ed25519').publicKey;
  assert.equal(verifyBytes(other, parsed.signingInput, parsed.signature), false);
  const [h, , s] = token.split('.');
  const tampered = parseCompactJws(`${h}.${Buffer.from('{"sub":"d2","exp":1}').toString('base64url')}.${s}`)!;
  assert.equal(verifyBytes(publicKeyFrom(pair.publicKey), tampered.signingInput, tampered.signature), false);
  for (const bad of ['a.b', 'a.b.c.d', '!!.a.b', `${Buffer.from('[]').toString('base64url')}.e30.x`]) assert.equal(parseCompactJws(bad), undefined, bad);
});

/** The access agents' pure parts: keys, destinations, the nft table text, SPC checks, the grant table, gateway choice. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DestinationError, parseDestinations } from '../../src/agent/access/destinations.js';
import { GrantTable, type Grant, type GatewayDataplane } from '../../src/agent/access/grants.js';
import { generateWireguardKeys, isWireguardKey, wireguardPublicKey } from '../../src/agent/access/keys.js';
import { renderTable } from '../../src/agent/access/nft.js';
import { gatewayCandidates } from '../../src/agent/access/pools.js';
import { usableAnchors, verifySpc } from '../../src/agent/access/spc.js';
import { signSpc, spcClaims, testSigner } from '../helpers/access-spc.js';

test('a generated WireGuard key pair is consistent and well-formed; other strings are not keys', () => {
  const keys = generateWireguardKeys();
  assert.equal(wireguardPublicKey(keys.private_key), keys.public_key);
  assert.ok(isWireguardKey(keys.public_key));
  assert.notEqual(generateWireguardKeys().private_key, keys.private_key);
  for (const bad of ['', 'abc', `${keys.public_key} --flag`, keys.public_key.slice(1), 42]) assert.equal(isWireguardKey(bad), false, String(bad));
});

test('destinations are normalised; anything that is not a CIDR, a known protocol or a port range is refused', () => {
  assert.deepEqual(parseDestinations([{ cidr: '10.1.2.3', protocol: 'tcp', ports: ['443', '8000-8100', 22] }, { fqdn: 'intranet.example' }, { cidr: 'fd00::/64' }]), [
    { cidr: '10.1.2.3/32', protocol: 'tcp', ports: ['443', '8000-8100', '22'] },
    { cidr: 'fd00::/64', protocol: 'any', ports: [] },
  ]);
  for (const bad of [
    [{ cidr: '10.0.0.0/8; flush ruleset' }],
    [{ cidr: '10.0.0.0/33' }],
    [{ cidr: '10.0.0.0/8', protocol: 'sctp' }],
    [{ cidr: '10.0.0.0/8', protocol: 'tcp', ports: ['80,81'] }],
    [{ cidr: '10.0.0.0/8', protocol: 'tcp', ports: ['90-80'] }],
    [{ cidr: '10.0.0.0/8', protocol: 'tcp', ports: ['70000'] }],
    'all',
  ]) assert.throws(() => parseDestinations(bad), DestinationError, JSON.stringify(bad));
});

test('the nft table jumps each device\'s source to its own chain and drops everything else on the tunnel', () => {
  const text = renderTable('wg0', [
    { device_id: 'dev-a', overlay_ip: '100.96.0.2', destinations: [{ cidr: '10.0.0.0/24', protocol: 'tcp', ports: ['8080', '9000-9100'] }] },
    { device_id: 'dev-b', overlay_ip: '100.96.0.3', destinations: [{ cidr: '10.0.0.5/32', protocol: 'icmp', ports: [] }, { cidr: 'fd00::/64', protocol: 'any', ports: [] }] },
  ]);
  assert.match(text, /table inet rampart_access \{/);
  assert.match(text, /iifname "wg0" ip saddr 100\.96\.0\.2 jump device_0/);
  assert.match(text, /ip daddr 10\.0\.0\.0\/24 tcp dport \{ 8080, 9000-9100 \} accept/);
  assert.match(text, /ip6 daddr fd00::\/64 accept/);
  assert.match(text, /iifname "wg0" drop\n/);
  assert.match(text, /chain input \{[^}]*iifname "wg0" drop/);
  assert.throws(() => renderTable('wg0', [{ device_id: 'x', overlay_ip: '1.2.3.4; flush ruleset', destinations: [] }]));
  assert.doesNotMatch(renderTable('wg0', []), /jump/, 'no device: nothing is jumped to, everything on the tunnel drops');
});

test('an SPC verifies against its anchor and is refused when expired, revoked, forged, unknown, or someone else\'s', () => {
  const signer = testSigner();
  const { public_key } = generateWireguardKeys();
  const now = new Date();
  const anchors = usableAnchors([signer.anchor], now);
  const ctx = { anchors, revokedSerials: new Set<string>(), now, device_id: 'dev-1', public_key };
  const claims = spcClaims('dev-1', public_key, 3600, 'serial-1');
  const spc = signSpc(signer, claims);
  const ok = verifySpc(spc, ctx);
  assert.ok(ok.valid && ok.claims.serial === 'serial-1' && ok.claims.exp === Date.parse(claims.expires_at) / 1000);
  assert.ok(verifySpc(spc, { ...ctx, anchors: usableAnchors([signer.anchorPem], now) }).valid, 'a PEM anchor verifies too');

  const reason = (jws: unknown, over = {}) => {
    const v = verifySpc(jws, { ...ctx, ...over });
    return v.valid ? 'valid' : v.reason;
  };
  assert.equal(reason(signSpc(signer, spcClaims('dev-1', public_key, -10))), 'expired');
  assert.equal(reason(spc, { revokedSerials: new Set(['serial-1']) }), 'revoked');
  assert.equal(reason(signSpc(testSigner(signer.kid), claims)), 'bad_signature');
  const [h, , s] = spc.split('.');
  assert.equal(reason(`${h}.${Buffer.from(JSON.stringify({ ...claims, device_id: 'dev-1', group_ids: ['admins'] })).toString('base64url')}.${s}`), 'bad_signature');
  assert.equal(reason(signSpc(testSigner('other'), claims)), 'unknown_kid');
  assert.equal(reason(spc, { anchors: usableAnchors([{ ...signer.anchor, state: 'retired' }], now) }), 'unknown_kid', 'a retired anchor verifies nothing');
  assert.equal(reason(spc, { device_id: 'dev-2' }), 'wrong_device');
  assert.equal(reason(spc, { public_key: generateWireguardKeys().public_key }), 'wrong_key');
  assert.equal(reason(signSpc(signer, claims, { alg: 'HS256' })), 'malformed');
  assert.equal(reason('not.a-jws'), 'malformed');
  assert.equal(reason(undefined), 'malformed');
});

function recordingDataplane() {
  const calls: string[] = [];
  const dataplane: GatewayDataplane = {
    addPeer: async (key, ip) => void calls.push(`add ${key} ${ip}`),
    removePeer: async (key, ip) => void calls.push(`remove ${key} ${ip}`),
    applyRules: async (devices) => void calls.push(`rules ${devices.map((d) => `${d.device_id}:${d.destinations.map((x) => x.ports.join('+')).join()}`).join(' ')}`),
    forget: async (ip) => void calls.push(`forget ${ip}`),
  };
  return { calls, dataplane };
}

const grant = (over: Partial<Grant> = {}): Grant => ({
  grant_id: 'g1',
  device_id: 'a',
  user_id: 'u1',
  overlay_ip: '100.96.0.2',
  public_key: 'KA',
  destinations: [{ cidr: '10.0.0.0/24', protocol: 'tcp', ports: ['8080'] }],
  expires_at: 10_000,
  ...over,
});

test('the grant table writes rules before a peer appears, rewrites only what changed, and cleans up in order', async () => {
  const { calls, dataplane } = recordingDataplane();
  let now = 0;
  const table = new GrantTable(dataplane, () => {}, () => now);
  await table.admit(grant());
  assert.deepEqual(calls.splice(0), ['rules a:8080', 'add KA 100.96.0.2']);
  await table.admit(grant({ expires_at: 20_000 }));
  assert.deepEqual(calls.splice(0), [], 'a renewed grant with the same destinations touches nothing');
  await table.admit(grant({ destinations: [{ cidr: '10.0.0.0/24', protocol: 'tcp', ports: ['8081'] }], expires_at: 20_000 }));
  assert.deepEqual(calls.splice(0), ['rules a:8081'], 'changed destinations rewrite the rules only');
  await table.admit(grant({ device_id: 'b', public_key: 'KB', overlay_ip: '100.96.0.3', expires_at: 5_000 }));
  calls.splice(0);
  await Promise.all([table.remove('a', 'revoked'), table.remove('a', 'revoked again')]);
  assert.deepEqual(calls.splice(0), ['remove KA 100.96.0.2', 'rules b:8080', 'forget 100.96.0.2'], 'one removal, peer first, conntrack last');
  now = 5_000;
  assert.deepEqual(await table.expire(), ['b']);
  assert.deepEqual(table.list(), []);
});

test('a recheck answer applies only to the grant it asked about: it never re-adds a removed device or cuts a newer grant', async () => {
  const { calls, dataplane } = recordingDataplane();
  const table = new GrantTable(dataplane, () => {});
  const asked = await table.admit(grant());
  // Revoked while the (older, allowing) answer was on its way: the answer must not bring the device back.
  await table.remove('a', 'revoked');
  assert.equal(await table.settle(asked, grant({ expires_at: 20_000 }), 'change pushed'), false);
  assert.deepEqual(table.list(), []);
  // Admitted again meanwhile: an older refusal must not cut the new grant.
  const fresh = await table.admit(grant());
  calls.splice(0);
  assert.equal(await table.settle(asked, undefined, 'change pushed: spc_invalid'), false);
  assert.deepEqual(table.list().map((g) => g.device_id), ['a']);
  assert.deepEqual(calls, []);
  // Still the grant asked about: the answer applies.
  assert.equal(await table.settle(fresh, undefined, 'change pushed: device_revoked'), true);
  assert.deepEqual(table.list(), []);
});

test('an overlay address granted to another device is taken from the first', async () => {
  const { calls, dataplane } = recordingDataplane();
  const table = new GrantTable(dataplane, () => {});
  await table.admit(grant());
  await table.admit(grant({ device_id: 'c', public_key: 'KC' }));
  assert.deepEqual(table.list().map((g) => g.device_id), ['c']);
  assert.ok(calls.includes('remove KA 100.96.0.2') && calls.at(-1) === 'add KC 100.96.0.2', calls.join('\n'));
});

test('gateway choice: healthy pools first, endpoints with bad keys skipped, the admission URL defaulting to port + 1', () => {
  const key = generateWireguardKeys().public_key;
  const candidates = gatewayCandidates([
    { pool_id: 'p-down', healthy: false, endpoints: [{ gateway_id: 'g-down', host: '10.0.0.9', port: 51820, public_key: key }] },
    { pool_id: 'p-up', healthy: true, destinations: ['10.1.0.0/16', 'intranet.example'], endpoints: [
      { gateway_id: 'g-bad', host: '10.0.0.1', port: 51820, public_key: 'not a key' },
      { gateway_id: 'g-up', host: '10.0.0.2', port: 51820, public_key: key, admission_url: 'http://10.0.0.2:9000/v1/admit' },
      { gateway_id: 'g-up2', host: 'fd00::2', port: 51820, public_key: key },
    ] },
  ]);
  assert.deepEqual(candidates.map((c) => [c.gateway_id, c.admission_url]), [
    ['g-up', 'http://10.0.0.2:9000/v1/admit'],
    ['g-up2', 'http://[fd00::2]:51821/v1/admit'],
    ['g-down', 'http://10.0.0.9:51821/v1/admit'],
  ]);
  assert.deepEqual(candidates[0].destinations, ['10.1.0.0/16']);
  assert.deepEqual(gatewayCandidates({ pools: [] }), []);
  assert.deepEqual(gatewayCandidates('nonsense'), []);
});

test('a device asks for admission again when its tunnel stopped handshaking, not while it is live', async () => {
  const { tunnelStale } = await import('../../src/agent/access/liveness.js');
  const now = 1_000_000_000;
  const s = (ago: number) => Math.floor((now - ago * 1000) / 1000);
  assert.equal(tunnelStale(now, now - 5_000, 0), false, 'just admitted: the first handshake is on its way');
  assert.equal(tunnelStale(now, now - 60_000, 0), true, 'admitted a minute ago and never a handshake');
  assert.equal(tunnelStale(now, now - 600_000, s(100)), false, 'a session between its rekeys');
  assert.equal(tunnelStale(now, now - 600_000, s(200)), true, 'the rekey failed: the gateway no longer answers');
  assert.equal(tunnelStale(now, now - 10_000, s(200)), false, 'a handshake from an earlier admission: give the new one time');
});

/**
 * The device-poll caches (ETags and configs per device, each network's shared part) are keyed by the network's
 * config revision and the node's own state, with no timer: every change that alters rendered configs reaches
 * every device on its next poll, and what expires on its own (a blocklisted certificate) leaves without a change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const DAY_MS = 86_400_000;

describe('device polling with the revision-keyed caches', () => {
  let r: TestRampart;
  let owner: SignedIn;
  let clock = Date.now();
  let networkId: string;
  let address = 0;

  before(async () => {
    r = await createTestRampart({ now: () => new Date(clock), overrides: { 'auth.access_token_ttl_s': 86_400 } });
    owner = await signIn(r);
    const net = await call('POST', '/api/networks', owner.headers, { name: 'polling', subnet_cidr: '10.91.0.0/24' });
    networkId = net.json().id;
    await create({ name: 'lh', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
  });
  after(() => r.cleanup());

  function call(method: string, url: string, headers: Record<string, string> = owner.headers, payload?: object, remoteAddress?: string) {
    return r.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}), ...(remoteAddress ? { remoteAddress } : {}) });
  }
  async function create(body: object) {
    const res = await call('POST', '/api/certificates/create', owner.headers, { network_id: networkId, ...body });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }
  /** A node with an enrolled device: its token, and the ETag of the config it fetched. */
  async function device(name: string, body: object = {}) {
    const node = await create({ name, ...body });
    const code = await call('POST', '/api/device/enrollment-codes', owner.headers, { node_id: node.node_id });
    assert.equal(code.statusCode, 200, code.body);
    const enrolled = await call('POST', '/api/device/enroll', {}, { code: code.json().code }, `10.2.0.${++address}`);
    assert.equal(enrolled.statusCode, 200, enrolled.body);
    const token: string = enrolled.json().device_token;
    const first = await config(token);
    assert.equal(first.statusCode, 200, first.body);
    return { node, token, etag: first.headers.etag as string };
  }
  const config = (token: string, etag?: string) =>
    call('GET', '/api/device/config', { authorization: `Bearer ${token}`, ...(etag ? { 'if-none-match': etag } : {}) });
  const fingerprintOf = async (nodeName: string): Promise<string> =>
    (await call('GET', `/api/certificates?network_id=${networkId}`)).json().find((c: any) => c.node_name === nodeName).fingerprint;

  test('a revocation reaches every other device on its next poll: the old ETag gets 200 and a blocklist with it', async () => {
    const devices = [await device('a'), await device('b'), await device('c'), await device('d')];
    for (const d of devices) assert.equal((await config(d.token, d.etag)).statusCode, 304, 'warm: every device is up to date');
    const revokedFingerprint = await fingerprintOf('b');
    assert.equal((await call('POST', `/api/nodes/${devices[1].node.node_id}/revoke-certificate`)).statusCode, 200);

    for (const d of devices.filter((_, i) => i !== 1)) {
      const next = await config(d.token, d.etag);
      assert.equal(next.statusCode, 200, `${d.node.hostname} must not keep its config`);
      assert.notEqual(next.headers.etag, d.etag);
      assert.ok(parse(next.body).pki.blocklist.includes(revokedFingerprint), `${d.node.hostname}'s blocklist names b`);
      assert.equal((await config(d.token, next.headers.etag as string)).statusCode, 304, 'and then it is current again');
    }
    assert.equal((await config(devices[1].token, devices[1].etag)).statusCode, 409, 'the revoked device itself has no config');
  });

  test('a firewall change reaches the next poll of each device of the group', async () => {
    const web = await device('fw-web', { groups: ['web'] });
    assert.equal((await config(web.token, web.etag)).statusCode, 304);
    const put = await call('PUT', `/api/networks/${networkId}/group-firewall/web`, owner.headers, { inbound_rules: [{ allowed_group: 'any', protocol: 'tcp', port_range: '8443' }] });
    assert.equal(put.statusCode, 200, put.body);
    const next = await config(web.token, web.etag);
    assert.equal(next.statusCode, 200);
    assert.ok(parse(next.body).firewall.inbound.some((rule: any) => rule.port === 8443 && rule.proto === 'tcp'), next.body);
  });

  test('a new relay reaches every device; a change that leaves a config as it was still answers 304', async () => {
    const plain = await device('plain');
    const relay = await create({ name: 'relay-1', is_relay: true, public_endpoint: '192.0.2.7:4242' });
    const next = await config(plain.token, plain.etag);
    assert.equal(next.statusCode, 200);
    assert.deepEqual(parse(next.body).relay.relays, [relay.ip_address]);
    // A DNS alias bumps the revision too, but this node's config.yml does not depend on it: same bytes, same ETag.
    const dns = await call('PUT', `/api/networks/${networkId}/dns`, owner.headers, { enabled: true });
    assert.equal(dns.statusCode, 200, dns.body);
    assert.equal((await config(plain.token, next.headers.etag as string)).statusCode, 304);
  });

  test('a DNS change reaches the next dnsmasq.conf and dns-client-config poll', async () => {
    const d = await device('dns-client');
    assert.equal((await call('PUT', `/api/networks/${networkId}/dns`, owner.headers, { enabled: true, extra_dns_resolvers: [] })).statusCode, 200);
    const first = await call('GET', '/api/device/dnsmasq.conf', { authorization: `Bearer ${d.token}` });
    assert.equal(first.statusCode, 200, first.body);
    const clientBefore = await call('GET', '/api/device/dns-client-config', { authorization: `Bearer ${d.token}` });
    assert.equal(clientBefore.statusCode, 200, clientBefore.body);
    assert.ok(!clientBefore.json().dns_servers.includes('9.9.9.9'));

    const alias = await call('POST', `/api/networks/${networkId}/dns/aliases`, owner.headers, { alias: 'files', node_id: d.node.node_id });
    assert.equal(alias.statusCode, 201, alias.body);
    assert.equal((await call('PUT', `/api/networks/${networkId}/dns`, owner.headers, { extra_dns_resolvers: ['9.9.9.9'] })).statusCode, 200);
    const next = await call('GET', '/api/device/dnsmasq.conf', { authorization: `Bearer ${d.token}`, 'if-none-match': first.headers.etag as string });
    assert.equal(next.statusCode, 200);
    assert.match(next.body, new RegExp(`host-record=files\\.[^,]+,${d.node.ip_address.replace(/\./g, '\\.')}`));
    const clientAfter = await call('GET', '/api/device/dns-client-config', { authorization: `Bearer ${d.token}` });
    assert.ok(clientAfter.json().dns_servers.includes('9.9.9.9'), clientAfter.body);

    assert.equal((await call('PUT', `/api/networks/${networkId}/dns`, owner.headers, { enabled: false })).statusCode, 200);
    assert.equal((await call('GET', '/api/device/dnsmasq.conf', { authorization: `Bearer ${d.token}` })).statusCode, 404, 'DNS off is seen at once');
  });

  test('a revoked certificate leaves the blocklist when it expires, with nothing else changed', async () => {
    const watcher = await device('watcher');
    const shortLived = await create({ name: 'short', duration_days: 2 });
    const fingerprint = await fingerprintOf('short');
    assert.equal((await call('POST', `/api/nodes/${shortLived.node_id}/revoke-certificate`)).statusCode, 200);
    const blocked = await config(watcher.token, watcher.etag);
    assert.equal(blocked.statusCode, 200);
    assert.ok(parse(blocked.body).pki.blocklist.includes(fingerprint));
    assert.equal((await config(watcher.token, blocked.headers.etag as string)).statusCode, 304);

    clock += 3 * DAY_MS;
    const expired = await config(watcher.token, blocked.headers.etag as string);
    assert.equal(expired.statusCode, 200, 'the cached config named a certificate that has expired since');
    assert.ok(!parse(expired.body).pki.blocklist.includes(fingerprint));
  });
});

/**
 * Nebula Commander's per-network DNS: zone settings and aliases (owners), the dnsmasq.conf devices serve it
 * with (ETag/304), the resolver settings devices apply, and GET /api/public-config.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

describe('overlay DNS', () => {
  let r: TestRampart;
  let owner: SignedIn;
  let member: SignedIn;
  let outsider: SignedIn;
  let networkId: string;
  let otherNetworkId: string;
  let lh: any;
  let web: any;
  let stranger: any;
  let webToken: string;
  let strangerToken: string;

  before(async () => {
    r = await createTestRampart();
    [owner, member, outsider] = await Promise.all([signIn(r), signIn(r), signIn(r)]);
    networkId = (await call('POST', '/api/networks', owner, { name: 'Corp Net', subnet_cidr: '10.77.0.0/24' })).json().id;
    otherNetworkId = (await call('POST', '/api/networks', owner, { name: 'elsewhere', subnet_cidr: '10.78.0.0/24' })).json().id;
    assert.equal((await call('POST', `/api/networks/${networkId}/users`, owner, { user_id: member.user.id, can_manage_nodes: true })).statusCode, 200);
    lh = await create(networkId, { name: 'lh', is_lighthouse: true, public_endpoint: '198.51.100.1:4242' });
    web = await create(networkId, { name: 'web', groups: ['web'] });
    stranger = await create(otherNetworkId, { name: 'far', is_lighthouse: true, public_endpoint: '198.51.100.2:4242' });
    webToken = await deviceToken(web.node_id);
    strangerToken = await deviceToken(stranger.node_id);
  });
  after(() => r.cleanup());

  function call(method: string, url: string, who: SignedIn | Record<string, string> | null, payload?: object) {
    const headers = who === null ? {} : 'headers' in who ? (who as SignedIn).headers : (who as Record<string, string>);
    return r.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}) });
  }
  async function create(network: string, body: object) {
    const res = await call('POST', '/api/certificates/create', owner, { network_id: network, ...body });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }
  async function deviceToken(nodeId: string): Promise<string> {
    const code = (await call('POST', '/api/device/enrollment-codes', owner, { node_id: nodeId })).json().code;
    return (await call('POST', '/api/device/enroll', null, { code })).json().device_token;
  }
  const device = (token: string, etag?: string) => ({ authorization: `Bearer ${token}`, ...(etag ? { 'if-none-match': etag } : {}) });
  const dnsUrl = (id = networkId) => `/api/networks/${id}/dns`;
  const auditOf = async (action: string) => (await r.core.audit.list({ action }, { limit: 100, offset: 0 })).items.filter((e) => e.result === 'success');

  test('before any setting DNS is off under a domain made from the network name; only members see it', async () => {
    const res = await call('GET', dnsUrl(), member);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { domain: 'corp-net', enabled: false, upstream_servers: [], extra_dns_resolvers: [] });
    assert.equal((await call('GET', dnsUrl(), outsider)).statusCode, 404);
    assert.equal((await call('GET', dnsUrl(UNKNOWN_ID), owner)).statusCode, 404);
    assert.equal((await call('GET', dnsUrl(), null)).statusCode, 401);
    const off = await call('GET', '/api/device/dns-client-config', device(webToken));
    assert.equal(off.statusCode, 404);
    assert.deepEqual(off.json(), { detail: 'DNS not enabled for this network' });
    assert.equal((await call('GET', '/api/device/dnsmasq.conf', device(webToken))).statusCode, 404);
  });

  test('owners change the settings; bad names and servers are a 400 naming them and change nothing; audited', async () => {
    assert.equal((await call('PUT', dnsUrl(), member, { enabled: true })).statusCode, 403, 'members are not owners');
    for (const [body, pattern] of [
      [{ domain: 'bad domain' }, /domain "bad domain" is not a valid DNS name/],
      [{ domain: 'evil\nserver=6.6.6.6' }, /is not a valid DNS name/],
      [{ upstream_servers: ['1.1.1.1', 'dns.google'] }, /upstream_servers\[1\]: "dns.google" is not an IP address/],
      [{ upstream_servers: ['1.1.1.1#99999'] }, /upstream_servers\[0\]/],
      [{ extra_dns_resolvers: ['10.0.0.300'] }, /extra_dns_resolvers\[0\]/],
      [{ enabled: 'yes' }, /enabled/],
    ] as const) {
      const res = await call('PUT', dnsUrl(), owner, body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.deepEqual(Object.keys(res.json()), ['detail']);
      assert.match(res.json().detail, pattern);
    }
    assert.equal((await call('GET', dnsUrl(), owner)).json().enabled, false, 'nothing was stored');

    const put = await call('PUT', dnsUrl(), owner, { domain: 'Corp.Internal.', upstream_servers: ['1.1.1.1', '2606:4700:4700::1111#53'] });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual(put.json(), { domain: 'corp.internal', enabled: true, upstream_servers: ['1.1.1.1', '2606:4700:4700::1111#53'], extra_dns_resolvers: [] });
    const partial = await call('PUT', dnsUrl(), owner, { extra_dns_resolvers: ['192.0.2.53'] });
    assert.deepEqual(partial.json(), { ...put.json(), extra_dns_resolvers: ['192.0.2.53'] }, 'omitted fields keep their value');
    assert.deepEqual((await call('GET', dnsUrl(), member)).json(), partial.json());
    const [row] = await auditOf('overlay.dns.update');
    assert.equal(row.resource_id, networkId);
    assert.equal(row.actor_id, owner.user.id);
    assert.deepEqual(row.details, { domain: 'corp.internal', enabled: true });
  });

  test('aliases: 201, 409 when taken, 404 for a node of another network, 400 for a bad label, 204 on delete; audited', async () => {
    const aliases = `${dnsUrl()}/aliases`;
    const created = await call('POST', aliases, owner, { alias: 'DB', node_id: web.node_id });
    assert.equal(created.statusCode, 201, created.body);
    const { id, ...alias } = created.json() as Record<string, string>;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(alias, { alias: 'db', node_id: web.node_id, node_hostname: 'web' });
    assert.equal((await call('POST', aliases, owner, { alias: 'db', node_id: lh.node_id })).statusCode, 409);
    const wildcard = await call('POST', aliases, owner, { alias: '*.apps', node_id: lh.node_id });
    assert.equal(wildcard.statusCode, 201, wildcard.body);
    const foreign = await call('POST', aliases, owner, { alias: 'far', node_id: stranger.node_id });
    assert.equal(foreign.statusCode, 404);
    assert.deepEqual(foreign.json(), { detail: 'Node not found in this network' });
    for (const alias of ['a.b', 'x\ny', '-db', '*.', 'db_1', '']) {
      const res = await call('POST', aliases, owner, { alias, node_id: web.node_id });
      assert.equal(res.statusCode, 400, alias);
      assert.ok(res.json().detail, alias);
    }
    assert.equal((await call('GET', aliases, member)).statusCode, 403, 'owners only, as in Commander');
    const list = await call('GET', aliases, owner);
    assert.deepEqual(list.json().map((a: any) => [a.alias, a.node_hostname]), [['*.apps', 'lh'], ['db', 'web']]);

    const spare = await call('POST', aliases, owner, { alias: 'spare', node_id: web.node_id });
    assert.equal((await call('DELETE', `${aliases}/${spare.json().id}`, owner)).statusCode, 204);
    assert.equal((await call('DELETE', `${aliases}/${spare.json().id}`, owner)).statusCode, 404);
    assert.equal((await call('DELETE', `${aliases}/not-a-uuid`, owner)).statusCode, 404);
    assert.equal((await auditOf('overlay.dns_alias.create')).length, 3);
    const [deleted] = await auditOf('overlay.dns_alias.delete');
    assert.equal(deleted.details.alias, 'spare');
  });

  test('devices: dnsmasq.conf of the zone on their own address, ETag and 304 (bare tag too); it changes with the aliases', async () => {
    const res = await call('GET', '/api/device/dnsmasq.conf', device(webToken));
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.headers['content-type'] as string, /^text\/plain/);
    assert.equal(res.headers.etag, `"${createHash('sha256').update(res.body).digest('hex')}"`);
    const lines = res.body.split('\n');
    assert.equal(lines[0], `listen-address=${web.ip_address}`);
    for (const line of [
      'local=/corp.internal/', 'no-resolv', 'no-hosts',
      `host-record=lh.corp.internal,${lh.ip_address}`, `host-record=web.corp.internal,${web.ip_address}`,
      `host-record=db.corp.internal,${web.ip_address}`, `address=/apps.corp.internal/${lh.ip_address}`,
      'server=1.1.1.1', 'server=2606:4700:4700::1111#53',
    ]) assert.ok(lines.includes(line), line);
    assert.ok(lines.indexOf('local=/corp.internal/') < lines.indexOf('server=1.1.1.1'), 'the zone before the upstreams');
    assert.ok(!res.body.includes(`address=/corp.internal/`), 'no catch-all for mistyped names');

    const etag = res.headers.etag as string;
    assert.equal((await call('GET', '/api/device/dnsmasq.conf', device(webToken, etag.replace(/"/g, '')))).statusCode, 304);
    assert.equal((await call('GET', `/api/networks/${networkId}/dns/dnsmasq.conf`, device(webToken, etag))).statusCode, 304, 'the network-scoped path serves the same file');
    await call('POST', `${dnsUrl()}/aliases`, owner, { alias: 'cache', node_id: lh.node_id });
    const changed = await call('GET', '/api/device/dnsmasq.conf', device(webToken, etag));
    assert.equal(changed.statusCode, 200);
    assert.ok(changed.body.includes(`host-record=cache.corp.internal,${lh.ip_address}`));

    const lhConf = await call('GET', '/api/device/dnsmasq.conf', device(await deviceToken(lh.node_id)));
    assert.equal(lhConf.body.split('\n')[0], `listen-address=${lh.ip_address}`);
  });

  test('network-scoped dnsmasq.conf: 401 without a device token, 403 for another network\'s device, 404 for an unknown network', async () => {
    const url = `/api/networks/${networkId}/dns/dnsmasq.conf`;
    assert.equal((await call('GET', url, null)).statusCode, 401);
    assert.equal((await call('GET', url, owner)).statusCode, 401, 'a user token is no device token');
    const foreign = await call('GET', url, device(strangerToken));
    assert.equal(foreign.statusCode, 403);
    assert.deepEqual(foreign.json(), { detail: 'Device is not part of this network' });
    assert.equal((await call('GET', `/api/networks/${UNKNOWN_ID}/dns/dnsmasq.conf`, device(webToken))).statusCode, 404);
  });

  test('dns-client-config: the domain and every lighthouse, then the extra resolvers', async () => {
    const res = await call('GET', '/api/device/dns-client-config', device(webToken));
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { domain: 'corp.internal', dns_servers: [lh.ip_address, '192.0.2.53'] });
    assert.equal((await call('GET', '/api/device/dns-client-config', null)).statusCode, 401);

    assert.equal((await call('PUT', dnsUrl(), owner, { enabled: false })).statusCode, 200);
    assert.equal((await call('GET', '/api/device/dns-client-config', device(webToken))).statusCode, 404);
    assert.equal((await call('PUT', dnsUrl(), owner, { enabled: true })).statusCode, 200);
  });

  test('deleting a node drops its aliases from the zone', async () => {
    const temp = await create(networkId, { name: 'temp' });
    await call('POST', `${dnsUrl()}/aliases`, owner, { alias: 'tmp', node_id: temp.node_id });
    assert.equal((await call('DELETE', `/api/nodes/${temp.node_id}`, owner)).statusCode, 204);
    const aliases = (await call('GET', `${dnsUrl()}/aliases`, owner)).json();
    assert.ok(!aliases.some((a: any) => a.alias === 'tmp'));
    assert.ok(!(await call('GET', '/api/device/dnsmasq.conf', device(webToken))).body.includes('tmp.corp.internal'));
  });

  test('GET /api/public-config answers without signing in, in the shape the web UI reads', async () => {
    const res = await call('GET', '/api/public-config', null);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { analytics: { plausible: null, gaMeasurementId: null, customScripts: [] } });
  });
});

/**
 * The dnsmasq.conf devices fetch (GET /api/device/dnsmasq.conf) passes Debian's dnsmasq syntax check, with every
 * kind of line it can hold: node names with '-' and '_', plain and wildcard aliases, IPv4 and IPv6 upstreams.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { findProgram, requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('device dnsmasq.conf against dnsmasq --test', { skip: skipUnlessPrograms('dnsmasq') }, () => {
  let r: TestRampart;
  let owner: SignedIn;
  let dir: string;

  before(async () => {
    requirePrograms('dnsmasq');
    r = await createTestRampart();
    owner = await signIn(r);
    dir = mkdtempSync(join(tmpdir(), 'rampart-dnsmasq-'));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await r.cleanup();
  });

  async function call(method: string, url: string, payload?: object, headers: Record<string, string> = owner.headers) {
    const res = await r.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}) });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return res;
  }

  test('a zone with every kind of entry is valid dnsmasq configuration', async () => {
    const net = (await call('POST', '/api/networks', { name: 'lab', subnet_cidr: '10.66.0.0/24' })).json().id;
    const create = async (body: object) => (await call('POST', '/api/certificates/create', { network_id: net, ...body })).json();
    const lh = await create({ name: 'lh-1', is_lighthouse: true, public_endpoint: '198.51.100.1:4242' });
    const db = await create({ name: 'db_primary.rack-2' });
    await call('PUT', `/api/networks/${net}/dns`, { domain: 'lab.internal', upstream_servers: ['9.9.9.9', '2620:fe::fe#53'], extra_dns_resolvers: ['192.0.2.53'] });
    await call('POST', `/api/networks/${net}/dns/aliases`, { alias: 'pg', node_id: db.node_id });
    await call('POST', `/api/networks/${net}/dns/aliases`, { alias: '*.apps', node_id: lh.node_id });
    const code = (await call('POST', '/api/device/enrollment-codes', { node_id: db.node_id })).json().code;
    const token = (await call('POST', '/api/device/enroll', { code }, {})).json().device_token;
    const conf = (await call('GET', '/api/device/dnsmasq.conf', undefined, { authorization: `Bearer ${token}` })).body;
    assert.ok(conf.includes(`host-record=db_primary.rack-2.lab.internal,${db.ip_address}`));

    const file = join(dir, 'dnsmasq.conf');
    writeFileSync(file, conf);
    const check = spawnSync(findProgram('dnsmasq')!, ['--test', '-C', file], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}\n${conf}`);
    assert.match(check.stderr + check.stdout, /syntax check OK/);
  });
});

/**
 * The dnsmasq.conf devices fetch (GET /api/device/dnsmasq.conf) against Debian's dnsmasq: it passes the syntax
 * check with every kind of line it can hold (node names with '-' and '_', plain and wildcard aliases, IPv4 and
 * IPv6 upstreams), and a dnsmasq running it in a network namespace, on the node's overlay address, answers the
 * zone as the API promises: nodes, aliases, wildcards, the bare domain, and NXDOMAIN for anything else.
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
import { NetnsLab } from '../helpers/netns.js';
import { waitFor } from '../helpers/wait.js';

/** Resolves A records through one server with node's resolver (c-ares), printing the addresses or the error code. */
const RESOLVE = `
const { Resolver } = require('node:dns').promises;
const [server, ...names] = process.argv.slice(1);
const resolver = new Resolver({ timeout: 1000, tries: 1 });
resolver.setServers([server]);
Promise.all(names.map((n) => resolver.resolve4(n).then((a) => a.sort().join(','), (e) => e.code)))
  .then((answers) => console.log(JSON.stringify(answers)));
`;

describe('device dnsmasq.conf against Debian dnsmasq', { skip: skipUnlessPrograms('dnsmasq', 'ip') }, () => {
  let r: TestRampart;
  let owner: SignedIn;
  let dir: string;
  let conf: string;
  let lh: any;
  let db: any;

  async function call(method: string, url: string, payload?: object, headers: Record<string, string> = owner.headers) {
    const res = await r.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}) });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return res;
  }

  before(async () => {
    requirePrograms('dnsmasq', 'ip');
    r = await createTestRampart();
    owner = await signIn(r);
    dir = mkdtempSync(join(tmpdir(), 'rampart-dnsmasq-'));
    const net = (await call('POST', '/api/networks', { name: 'lab', subnet_cidr: '10.66.0.0/24' })).json().id;
    const create = async (body: object) => (await call('POST', '/api/certificates/create', { network_id: net, ...body })).json();
    lh = await create({ name: 'lh-1', is_lighthouse: true, public_endpoint: '198.51.100.1:4242' });
    db = await create({ name: 'db_primary.rack-2' });
    await call('PUT', `/api/networks/${net}/dns`, { domain: 'lab.internal', upstream_servers: ['198.18.0.250', '2001:db8::53#5353'] });
    await call('POST', `/api/networks/${net}/dns/aliases`, { alias: 'pg', node_id: db.node_id });
    await call('POST', `/api/networks/${net}/dns/aliases`, { alias: '*.apps', node_id: lh.node_id });
    const code = (await call('POST', '/api/device/enrollment-codes', { node_id: db.node_id })).json().code;
    const token = (await call('POST', '/api/device/enroll', { code }, {})).json().device_token;
    conf = (await call('GET', '/api/device/dnsmasq.conf', undefined, { authorization: `Bearer ${token}` })).body;
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await r.cleanup();
  });

  test('dnsmasq --test accepts the file', () => {
    assert.ok(conf.includes(`host-record=db_primary.rack-2.lab.internal,${db.ip_address}`));
    const file = join(dir, 'syntax.conf');
    writeFileSync(file, conf);
    const check = spawnSync(findProgram('dnsmasq')!, ['--test', '-C', file], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}\n${conf}`);
    assert.match(check.stderr + check.stdout, /syntax check OK/);
  });

  test('dnsmasq serving it on the overlay address answers the zone and nothing else', async (t) => {
    const lab = NetnsLab.create(['node']);
    t.after(() => lab.destroy());
    // The node's overlay address, as nebula's tun would hold it; dnsmasq binds to it alone.
    assert.equal(lab.exec('node', 'ip', ['addr', 'add', `${db.ip_address}/32`, 'dev', 'lo'], true).status, 0);
    const file = join(dir, 'serve.conf');
    writeFileSync(file, conf);
    const dnsmasq = lab.spawn('node', findProgram('dnsmasq')!, ['--keep-in-foreground', `--conf-file=${file}`, '--pid-file', '--user=root', '--log-facility=-']);

    const names = ['lh-1.lab.internal', 'db_primary.rack-2.lab.internal', 'pg.lab.internal', 'apps.lab.internal', 'a.b.apps.lab.internal', 'lab.internal', 'nope.lab.internal', 'pg.apps.lab.internal'];
    const answers = await waitFor('dnsmasq to answer on the overlay address', async () => {
      const res = await lab.run('node', process.execPath, ['-e', RESOLVE, db.ip_address, ...names], 10_000);
      const parsed = res.status === 0 ? (JSON.parse(res.stdout) as string[]) : undefined;
      return parsed && !parsed.includes('ECONNREFUSED') && !parsed.includes('ETIMEOUT') ? parsed : undefined;
    }, 15_000, 100).catch((err) => assert.fail(`${err.message}\n${dnsmasq.output()}\n${conf}`));
    assert.deepEqual(answers, [lh.ip_address, db.ip_address, db.ip_address, lh.ip_address, lh.ip_address, lh.ip_address, 'ENOTFOUND', lh.ip_address], `${names.join(' ')}\n${conf}`);
  });
});

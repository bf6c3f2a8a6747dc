/**
 * Node creates at once in one network, on both databases. A create checks and signs without holding the network's
 * lock (PostgreSQL): addresses come from the highest one in use plus what this process's other creates hold, the
 * unique indexes on name and address have the last word, and a unit that loses a race runs again. What a user must
 * never see: two nodes with one address, a node lost or missing its certificate or audit row, a name given twice,
 * a network left with nodes but no lighthouse, a node signed by a CA that a rotation just replaced.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { certificateFromPem, generateHostKeyPair, hostPublicKeyToPem, verifyCertificate } from '../../src/core/pki/nebula/index.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { onPostgres } from '../helpers/db.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const BURST = 40;

function signedBy(pem: string, ca: ReturnType<typeof certificateFromPem>): boolean {
  try {
    verifyCertificate(certificateFromPem(pem), ca);
    return true;
  } catch {
    return false;
  }
}

describe('overlay: concurrent node creates in one network', () => {
  let r: TestRampart;
  let owner: SignedIn;
  before(async () => {
    r = await createTestRampart();
    owner = await signIn(r);
  });
  after(() => r?.cleanup());

  const call = (rampart: TestRampart, method: 'POST' | 'DELETE', url: string, payload?: object) =>
    rampart.app.inject({ method, url, headers: owner.headers, ...(payload ? { payload } : {}) });
  const create = (body: object, rampart = r) => call(rampart, 'POST', '/api/certificates/create', body);
  const sign = (body: object, rampart = r) => call(rampart, 'POST', '/api/certificates/sign', { ...body, public_key: hostPublicKeyToPem(generateHostKeyPair().publicKey) });
  let networks = 0;
  async function network(subnet: string): Promise<string> {
    const res = await call(r, 'POST', '/api/networks', { name: `burst-${++networks}`, subnet_cidr: subnet });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().id;
  }
  async function withLighthouse(subnet: string): Promise<string> {
    const id = await network(subnet);
    const lh = await create({ network_id: id, name: 'lighthouse', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
    assert.equal(lh.statusCode, 200, lh.body);
    return id;
  }
  const revision = async (networkId: string) =>
    Number((await r.core.db.kysely.selectFrom('overlay_networks').select('config_revision').where('id', '=', networkId).executeTakeFirstOrThrow()).config_revision);

  /** Every node of the network, each with its certificates' addresses and issuers, and the audit rows naming it. */
  async function stored(networkId: string) {
    const db = r.core.db.kysely;
    const nodes = await db.selectFrom('overlay_nodes').select(['id', 'hostname', 'ip_address']).where('network_id', '=', networkId).execute();
    const certificates = await db.selectFrom('overlay_certificates').select(['node_id', 'ip_address', 'certificate_pem']).where('network_id', '=', networkId).execute();
    const audited = await db.selectFrom('audit_events').select('resource_id').where('action', 'in', ['overlay.certificate.create', 'overlay.certificate.sign']).where('result', '=', 'success').execute();
    return { nodes, certificates, audited: new Set(audited.map((a) => a.resource_id)) };
  }

  async function assertBurst(networkId: string, results: { statusCode: number; body: string; json(): any }[], firstHost: number) {
    for (const res of results) assert.equal(res.statusCode, 200, res.body);
    const answers = results.map((res) => res.json());
    const ips = answers.map((a) => a.ip_address);
    assert.equal(new Set(ips).size, ips.length, `an address given twice: ${ips.join(' ')}`);
    const { nodes, certificates, audited } = await stored(networkId);
    assert.equal(nodes.length, results.length + 1, 'every node is there, the lighthouse besides');
    assert.equal(new Set(nodes.map((n) => n.ip_address)).size, nodes.length, 'no two stored nodes share an address');
    for (const answer of answers) {
      const node = nodes.find((n) => n.id === answer.node_id);
      assert.equal(node?.ip_address, answer.ip_address, `node ${answer.node_id} is stored with the address it was told`);
      const certificate = certificateFromPem(answer.certificate);
      verifyCertificate(certificate, certificateFromPem(answer.ca_certificate));
      assert.equal(certificate.details.networks[0].split('/')[0], answer.ip_address, 'the certificate carries the node\'s address');
      const rows = certificates.filter((c) => c.node_id === answer.node_id);
      assert.deepEqual(rows.map((c) => [c.ip_address, c.certificate_pem.trim()]), [[answer.ip_address, answer.certificate.trim()]]);
      assert.ok(audited.has(answer.node_id), `the audit row of ${answer.node_id}`);
    }
    // Handed out from the bottom with no address skipped: creates at once in one process do not collide.
    const hosts = ips.map((ip) => Number(ip.split('.')[3])).sort((a, b) => a - b);
    assert.deepEqual(hosts, Array.from({ length: results.length }, (_, i) => firstHost + i));
  }

  test(`${BURST} creates and signs at once: distinct addresses, every node with its certificate, audit row and revision`, async () => {
    const networkId = await withLighthouse('10.250.1.0/24');
    const before = await revision(networkId);
    const results = await Promise.all(
      Array.from({ length: BURST }, (_, i) => (i % 4 === 3 ? sign({ network_id: networkId, name: `signed-${i}` }) : create({ network_id: networkId, name: `created-${i}` }))),
    );
    await assertBurst(networkId, results, 2);
    assert.equal(await revision(networkId), before + BURST, 'every create bumped the config revision');
  });

  test('one name asked for at once: one node, the others 409', async () => {
    const networkId = await withLighthouse('10.250.2.0/24');
    const results = await Promise.all(Array.from({ length: 6 }, () => create({ network_id: networkId, name: 'twin' })));
    assert.deepEqual(results.map((res) => res.statusCode).sort(), [200, 409, 409, 409, 409, 409], results.map((res) => res.body).join('\n'));
    assert.equal((await stored(networkId)).nodes.filter((n) => n.hostname === 'twin').length, 1);
  });

  test('one suggested address asked for at once: one node gets it, the others 409', async () => {
    const networkId = await withLighthouse('10.250.3.0/24');
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => create({ network_id: networkId, name: `wants-${i}`, suggested_ip: '10.250.3.77' })));
    assert.deepEqual(results.map((res) => res.statusCode).sort(), [200, 409, 409, 409, 409, 409], results.map((res) => res.body).join('\n'));
    assert.equal((await stored(networkId)).nodes.filter((n) => n.ip_address === '10.250.3.77').length, 1);
  });

  test('deleting the only lighthouse while a first node is created never leaves nodes without a lighthouse', async () => {
    for (let round = 0; round < 6; round++) {
      const networkId = await network(`10.250.${10 + round}.0/24`);
      const lh = await create({ network_id: networkId, name: 'lighthouse', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
      const [deleted, created] = await Promise.all([call(r, 'DELETE', `/api/nodes/${lh.json().node_id}`, {}), create({ network_id: networkId, name: 'member' })]);
      const left = await r.core.db.kysely.selectFrom('overlay_nodes').select(['hostname', 'is_lighthouse']).where('network_id', '=', networkId).execute();
      assert.ok(
        left.length === 0 || left.some((n) => r.core.db.dialect.fromBool(n.is_lighthouse)),
        `round ${round}: delete ${deleted.statusCode}, create ${created.statusCode}, left ${JSON.stringify(left)}`,
      );
      // The create first: the lighthouse is no longer alone (409). The delete first: the create is a first node (400).
      assert.ok(['409/200', '204/400'].includes(`${deleted.statusCode}/${created.statusCode}`), `round ${round}: delete ${deleted.statusCode}, create ${created.statusCode}`);
    }
  });

  test('creates during a CA rotation are signed by the CA their network trusts after it', async () => {
    const networkId = await withLighthouse('10.250.4.0/24');
    const [rotated, ...created] = await Promise.all([
      call(r, 'POST', `/api/networks/${networkId}/ca/rotate`),
      ...Array.from({ length: 8 }, (_, i) => create({ network_id: networkId, name: `during-${i}` })),
    ]);
    assert.equal(rotated.statusCode, 200, rotated.body);
    const active = await r.core.db.kysely.selectFrom('overlay_cas').select('certificate_pem').where('network_id', '=', networkId).where('active', '=', r.core.db.dialect.toBool(true)).executeTakeFirstOrThrow();
    const activeCa = certificateFromPem(active.certificate_pem);
    // Whichever came first, every node's current certificate is the new CA's: made after it, or reissued by it.
    for (const res of created) {
      assert.equal(res.statusCode, 200, res.body);
      const issued = await r.core.db.kysely.selectFrom('overlay_certificates').select('certificate_pem').where('node_id', '=', res.json().node_id).where('revoked_at', 'is', null).execute();
      assert.ok(issued.some((c) => signedBy(c.certificate_pem, activeCa)), `${res.json().hostname} holds no certificate of the new CA`);
    }
    const after = await create({ network_id: networkId, name: 'after' });
    verifyCertificate(certificateFromPem(after.json().certificate), activeCa);
    assert.equal(after.json().ca_certificate.match(/BEGIN NEBULA CERTIFICATE/g)?.length, 2, 'both CAs trusted');
  });

  test('two Rampart nodes on one database creating at once: distinct addresses, no create lost', { skip: !onPostgres && 'Rampart nodes share a database on PostgreSQL' }, async () => {
    const second = await createTestRampart({ tdb: r.tdb });
    try {
      const networkId = await withLighthouse('10.250.5.0/24');
      // Each node steps over its own creates only: the other's collide at the unique index and run again.
      const results = await Promise.all(Array.from({ length: BURST }, (_, i) => create({ network_id: networkId, name: `node-${i}` }, i % 2 ? second : r)));
      for (const res of results) assert.equal(res.statusCode, 200, res.body);
      const ips = results.map((res) => res.json().ip_address);
      assert.equal(new Set(ips).size, BURST, ips.join(' '));
      const { nodes, audited } = await stored(networkId);
      assert.equal(nodes.length, BURST + 1);
      for (const res of results) assert.ok(audited.has(res.json().node_id));
    } finally {
      await second.cleanup();
    }
  });
});

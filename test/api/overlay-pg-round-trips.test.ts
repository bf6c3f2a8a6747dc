/**
 * Round trips of one POST /api/certificates/create on PostgreSQL, counted at the driver: each client.query is one
 * round trip (node-postgres sends the next only when the previous has answered). The count is what the request
 * costs the database beside SQLite's in-process calls, so a new query on this path shows here.
 * Today: the network with the caller's permission (its row key-share locked; BEGIN written with it), the placement
 * checks (with the active CA's id, so the CAs remembered serve), and one statement holding the revision bump (the
 * network's row lock), the node, certificate and audit rows and the NOTIFY, written with the COMMIT (pg-pipeline.ts):
 * the lock is held only while PostgreSQL runs the two, never across a wait for Rampart.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import { after, before, describe, test } from 'node:test';
import { certificateFromPem, verifyCertificate } from '../../src/core/pki/nebula/index.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { onPostgres } from '../helpers/db.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const ROUND_TRIPS = 3;

describe('certificate creation round trips on PostgreSQL', { skip: !onPostgres && 'PostgreSQL only (RAMPART_TEST_DATABASE_URL)' }, () => {
  let r: TestRampart;
  let owner: SignedIn;
  before(async () => {
    r = await createTestRampart();
    // Not a system admin: the network permission is read too, as for most operators.
    owner = await signIn(r);
  });
  after(() => r?.cleanup());

  const create = (payload: object) => r.app.inject({ method: 'POST', url: '/api/certificates/create', headers: owner.headers, payload });

  /** The statements each pg client ran while fn ran, per client, in order. */
  async function statementsDuring(fn: () => Promise<unknown>): Promise<string[][]> {
    const byClient = new Map<pg.Client, string[]>();
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const q = args[0] as string | { text: string };
      const list = byClient.get(this) ?? [];
      byClient.set(this, list);
      list.push((typeof q === 'string' ? q : q.text).replace(/\s+/g, ' '));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      await fn();
    } finally {
      pg.Client.prototype.query = original;
    }
    return [...byClient.values()];
  }

  test(`one create is ${ROUND_TRIPS} round trips, its writes in one statement, and everything it wrote is there`, async () => {
    const net = await r.app.inject({ method: 'POST', url: '/api/networks', headers: owner.headers, payload: { name: 'rt', subnet_cidr: '10.44.0.0/24' } });
    assert.equal(net.statusCode, 200, net.body);
    const networkId = net.json().id;
    const lighthouse = await create({ network_id: networkId, name: 'lighthouse', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
    assert.equal(lighthouse.statusCode, 200, lighthouse.body);
    await create({ network_id: networkId, name: 'warm-up' }); // statements prepared, caches filled: the steady state

    let res!: Awaited<ReturnType<typeof create>>;
    const clients = await statementsDuring(async () => {
      res = await create({ network_id: networkId, name: 'counted' });
    });
    assert.equal(res.statusCode, 200, res.body);
    const unit = clients.find((statements) => statements.some((s) => s.includes('insert into "overlay_nodes"')));
    assert.ok(unit, `no transaction among ${JSON.stringify(clients)}`);
    assert.equal(unit.length, ROUND_TRIPS, unit.join('\n'));
    assert.equal(clients.flat().length, ROUND_TRIPS, `statements outside the unit:\n${clients.flat().join('\n')}`);
    assert.ok(!unit.includes('begin') && !unit.includes('commit'), `a begin or commit of its own:\n${unit.join('\n')}`);
    const batch = unit.at(-1)!;
    assert.match(batch, /^with /, unit.join('\n'));
    for (const table of ['overlay_nodes', 'overlay_certificates', 'audit_events']) assert.match(batch, new RegExp(`insert into "${table}"`));
    assert.match(batch, /pg_notify/);
    // The revision bump takes the network's row lock, which other creates of the network wait for: it goes out
    // with the last writes, sent with the commit (the rows read below, on another connection, show it committed).
    assert.match(batch, /update "overlay_networks" set "config_revision"/);
    assert.equal(unit.filter((s) => /update "overlay_networks"|for update/.test(s)).length, 1, unit.join('\n'));

    const { node_id: nodeId, certificate, ca_certificate: caPem } = res.json();
    verifyCertificate(certificateFromPem(certificate), certificateFromPem(caPem));
    const db = r.core.db.kysely;
    const node = await db.selectFrom('overlay_nodes').select('hostname').where('id', '=', nodeId).executeTakeFirst();
    const issued = await db.selectFrom('overlay_certificates').select('certificate_pem').where('node_id', '=', nodeId).executeTakeFirst();
    const audited = await db.selectFrom('audit_events').select('resource_id').where('action', '=', 'overlay.certificate.create').where('resource_id', '=', nodeId).executeTakeFirst();
    assert.deepEqual([node?.hostname, issued?.certificate_pem, audited?.resource_id], ['counted', certificate, nodeId]);
  });
});

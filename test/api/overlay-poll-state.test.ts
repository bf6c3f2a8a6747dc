/**
 * A device's poll reads nothing from the database while nothing changed: its node's state (status, device token
 * version, the network's config revision) is remembered in memory and forgotten on POLL_STATE_CHANGED, which every
 * change publishes inside its transaction and the event bus carries to every Rampart node. These tests change the
 * database behind a node's back to show the poll is answered from memory, then deliver the event and show the very
 * next poll sees the change; on PostgreSQL, a revocation made on a second node reaches a device polling the first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { POLL_STATE_CHANGED, type PollStateChange } from '../../src/modules/overlay/device/poll-states.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { onPostgres } from '../helpers/db.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('device polls answered from the remembered node state', () => {
  let r: TestRampart;
  let owner: SignedIn;
  let networkId: string;
  let address = 0;

  before(async () => {
    r = await createTestRampart({ overrides: { 'auth.access_token_ttl_s': 86_400 } });
    owner = await signIn(r);
    const net = await call(r, 'POST', '/api/networks', owner.headers, { name: 'remembered', subnet_cidr: '10.233.40.0/24' });
    networkId = net.json().id;
    await create(r, { name: 'lh', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
  });
  after(() => r.cleanup());

  function call(on: TestRampart, method: string, url: string, headers: Record<string, string> = owner.headers, payload?: object, remoteAddress?: string) {
    return on.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}), ...(remoteAddress ? { remoteAddress } : {}) });
  }
  async function create(on: TestRampart, body: object) {
    const res = await call(on, 'POST', '/api/certificates/create', owner.headers, { network_id: networkId, ...body });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  }
  async function device(name: string) {
    const node = await create(r, { name });
    const code = await call(r, 'POST', '/api/device/enrollment-codes', owner.headers, { node_id: node.node_id });
    const enrolled = await call(r, 'POST', '/api/device/enroll', {}, { code: code.json().code }, `10.2.1.${++address}`);
    assert.equal(enrolled.statusCode, 200, enrolled.body);
    const token: string = enrolled.json().device_token;
    const first = await config(r, token);
    assert.equal(first.statusCode, 200, first.body);
    return { node, token, etag: first.headers.etag as string };
  }
  const config = (on: TestRampart, token: string, etag?: string) =>
    call(on, 'GET', '/api/device/config', { authorization: `Bearer ${token}`, ...(etag ? { 'if-none-match': etag } : {}) });
  /** Resolves when the node's bus delivers a POLL_STATE_CHANGED that matches. */
  const arrival = (on: TestRampart, matches: (change: Partial<{ node_id: string; network_id: string }>) => boolean) =>
    new Promise<void>((resolve) => on.core.events.subscribe(POLL_STATE_CHANGED, (e) => void (matches(e.payload as never) && resolve())));

  test("a newer device token version written behind the node's back: 304 from memory, then 401 once the event arrives", async () => {
    const d = await device('behind');
    assert.equal((await config(r, d.token, d.etag)).statusCode, 304);
    // What an enrollment on another node leaves in the shared database; this node hears of it only through the bus.
    await r.core.db.kysely.updateTable('overlay_nodes').set((eb) => ({ device_token_version: eb('device_token_version', '+', 1) })).where('id', '=', d.node.node_id).execute();
    assert.equal((await config(r, d.token, d.etag)).statusCode, 304, 'answered from the remembered state: no query saw the write');

    const arrived = arrival(r, (c) => c.node_id === d.node.node_id);
    await r.core.events.publish<PollStateChange>(POLL_STATE_CHANGED, { node_id: d.node.node_id });
    await arrived;
    assert.equal((await config(r, d.token, d.etag)).statusCode, 401, 'the very next poll reads the node again');
  });

  test('a network event makes every device of the network read its state again', async () => {
    const d = await device('net-wide');
    assert.equal((await config(r, d.token, d.etag)).statusCode, 304);
    await r.core.db.kysely.updateTable('overlay_nodes').set({ status: 'revoked' }).where('id', '=', d.node.node_id).execute();
    assert.equal((await config(r, d.token, d.etag)).statusCode, 304, 'from memory');
    const arrived = arrival(r, (c) => c.network_id === networkId);
    await r.core.events.publish<PollStateChange>(POLL_STATE_CHANGED, { network_id: networkId });
    await arrived;
    assert.equal((await config(r, d.token, d.etag)).statusCode, 409, 'the revoked node now gets no config');
  });

  test('a re-enrollment through the API stops the old token on its next poll', async () => {
    const d = await device('re-enrolled');
    assert.equal((await config(r, d.token, d.etag)).statusCode, 304);
    const code = await call(r, 'POST', '/api/device/enrollment-codes', owner.headers, { node_id: d.node.node_id });
    const again = await call(r, 'POST', '/api/device/enroll', {}, { code: code.json().code }, `10.2.1.${++address}`);
    assert.equal(again.statusCode, 200, again.body);
    assert.equal((await config(r, d.token, d.etag)).statusCode, 401, 'the older token');
    assert.equal((await config(r, again.json().device_token, d.etag)).statusCode, 304, 'the new token, same config');
  });

  test('on PostgreSQL, a revocation made on a second node reaches a device polling the first once its event arrives', { skip: !onPostgres && 'two nodes share events only through PostgreSQL' }, async () => {
    const other = await createTestRampart({ tdb: r.tdb, overrides: { 'auth.access_token_ttl_s': 86_400 } });
    try {
      const [a, b] = [await device('pg-a'), await device('pg-b')];
      for (const d of [a, b]) assert.equal((await config(r, d.token, d.etag)).statusCode, 304, 'warm on the first node');
      const arrived = arrival(r, (c) => c.network_id === networkId);
      const revoked = await call(other, 'POST', `/api/nodes/${b.node.node_id}/revoke-certificate`);
      assert.equal(revoked.statusCode, 200, revoked.body);
      await arrived;
      const next = await config(r, a.token, a.etag);
      assert.equal(next.statusCode, 200, 'the other device gets a new config');
      const certs = (await call(r, 'GET', `/api/certificates?network_id=${networkId}`)).json();
      const fingerprint = certs.find((c: any) => c.node_name === 'pg-b').fingerprint;
      assert.ok(parse(next.body).pki.blocklist.includes(fingerprint), 'with the revoked certificate blocked');
      assert.equal((await config(r, b.token, b.etag)).statusCode, 409, 'the revoked device itself has no config');
    } finally {
      await other.close();
    }
  });
});

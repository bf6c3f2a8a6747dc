import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const FIELDS = ['action', 'actor_email', 'actor_id', 'actor_identifier', 'actor_name', 'actor_type', 'actor_user_id', 'client_ip', 'details', 'id', 'occurred_at', 'resource_id', 'resource_type', 'result'];

describe('overlay audit log (GET /api/audit)', () => {
  let r: TestRampart;
  let clock = new Date('2026-06-10T10:00:00Z');
  const tick = () => void (clock = new Date(clock.getTime() + 1000));
  let admin: SignedIn;
  let user: SignedIn;

  const get = (url: string, who: SignedIn = admin) => r.app.inject({ method: 'GET', url, headers: who.headers });
  const entries = async (query: string, who: SignedIn = admin) => {
    const res = await get(`/api/audit${query}`, who);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as any[];
  };
  const record = (action: string, resourceType = 'probe') => {
    tick();
    return r.core.audit.record({ actor: { type: 'system', id: 'system', name: 'probe' }, action, resource: { type: resourceType, id: action }, result: 'success', details: { n: 1 } });
  };

  before(async () => {
    r = await createTestRampart({ now: () => clock });
    admin = await signIn(r, { roles: ['admin'] });
    user = await signIn(r);
    // The probes happen at 10:00:01..10:00:05 (alpha) and 10:00:06..10:00:08 (beta), then 240 bulk rows.
    for (let i = 0; i < 5; i++) await record('probe.alpha', 'alpha_thing');
    for (let i = 0; i < 3; i++) await record('probe.beta');
    for (let i = 0; i < 240; i++) await record('probe.bulk');
  });
  after(() => r.cleanup());

  test('system admins only; a list of entries in the spec’s shape, 50 newest first by default', async () => {
    const denied = await get('/api/audit', user);
    assert.equal(denied.statusCode, 403);
    assert.deepEqual(Object.keys(denied.json()), ['detail']);
    const list = await entries('');
    assert.equal(list.length, 50);
    assert.deepEqual(Object.keys(list[0]).sort(), FIELDS);
    const times = list.map((e) => e.occurred_at);
    assert.deepEqual(times, [...times].sort().reverse());
    assert.equal(list[0].action, 'probe.bulk');
    assert.deepEqual(list[0].details, { n: 1 });
    assert.deepEqual([list[0].actor_user_id, list[0].actor_identifier, list[0].actor_email], [null, 'probe', null], 'not a user: no user id or email');
  });

  test("Commander's actor fields: the user's id, their email as identifier when they have one, else their name", async () => {
    const withEmail = await signIn(r);
    await r.core.identity.users.update(withEmail.user.id, { email: 'ops@example.com' });
    const noEmail = await signIn(r);
    for (const who of [withEmail, noEmail]) {
      tick();
      const res = await r.app.inject({ method: 'POST', url: '/api/networks', headers: who.headers, payload: { name: `net-${who.user.username}`, subnet_cidr: '10.99.0.0/24' } });
      assert.equal(res.statusCode, 200, res.body);
    }
    const [second, first] = await entries('?action=overlay.network.create&limit=2');
    assert.deepEqual([first.actor_user_id, first.actor_identifier, first.actor_email], [withEmail.user.id, 'ops@example.com', 'ops@example.com']);
    assert.deepEqual([second.actor_user_id, second.actor_identifier, second.actor_email], [noEmail.user.id, noEmail.user.username, null]);
  });

  test('limit is clamped to 200, below 1 is refused; offset pages on', async () => {
    assert.equal((await entries('?limit=500')).length, 200, 'above the maximum: clamped');
    assert.equal((await entries('?limit=200')).length, 200);
    assert.equal((await entries('?limit=3')).length, 3);
    for (const bad of ['limit=0', 'limit=-1', 'limit=many', 'offset=-1']) assert.equal((await get(`/api/audit?${bad}`)).statusCode, 400, bad);
    const first = await entries('?limit=10');
    const second = await entries('?limit=10&offset=10');
    assert.equal(second.length, 10);
    assert.ok(second[0].occurred_at < first[9].occurred_at, 'the next page is older');
    assert.deepEqual((await entries('?limit=20')).map((e) => e.id), [...first, ...second].map((e) => e.id));
  });

  test('filters by action and resource_type', async () => {
    const beta = await entries('?action=probe.beta');
    assert.equal(beta.length, 3);
    assert.ok(beta.every((e) => e.action === 'probe.beta'));
    assert.deepEqual((await entries('?resource_type=alpha_thing')).map((e) => e.action), Array(5).fill('probe.alpha'));
    assert.deepEqual(await entries('?action=probe.none'), []);
  });

  test('from_date and to_date are inclusive, take ISO dates and date-times, and refuse anything else', async () => {
    const window = await entries('?action=probe.alpha&from_date=2026-06-10T12:00:02%2B02:00&to_date=2026-06-10T10:00:04Z');
    assert.deepEqual(window.map((e) => e.occurred_at), ['2026-06-10T10:00:04.000Z', '2026-06-10T10:00:03.000Z', '2026-06-10T10:00:02.000Z']);
    // No zone: UTC, as FastAPI reads a naive datetime.
    assert.equal((await entries('?action=probe.alpha&from_date=2026-06-10T10:00:05')).length, 1);
    assert.equal((await entries('?action=probe.alpha&from_date=2026-06-10')).length, 5);
    assert.equal((await entries('?action=probe.alpha&to_date=2026-06-10')).length, 0);
    assert.equal((await entries('?action=probe.alpha&from_date=2026-06-11')).length, 0);
    for (const bad of ['from_date=yesterday', 'to_date=2026-13-45', 'from_date=10:00', 'to_date=2026-06-10T25:00:00Z']) {
      const res = await get(`/api/audit?${bad}`);
      assert.equal(res.statusCode, 400, bad);
      assert.match(res.json().detail, /from_date|to_date/);
    }
  });

  test('overlay mutations show up with who did them, from where, on what', async () => {
    tick();
    const owner = await signIn(r);
    const net = await r.app.inject({ method: 'POST', url: '/api/networks', headers: owner.headers, payload: { name: 'audited', subnet_cidr: '10.90.0.0/24' } });
    assert.equal(net.statusCode, 200, net.body);
    tick();
    const invitation = await r.app.inject({ method: 'POST', url: '/api/invitations', headers: owner.headers, payload: { email: 'a@example.com', network_id: net.json().id } });
    assert.equal(invitation.statusCode, 200, invitation.body);
    tick();
    const failed = await r.app.inject({ method: 'POST', url: '/api/node-requests', headers: owner.headers, payload: { network_id: net.json().id, hostname: 'not-a-lighthouse' } });
    assert.equal(failed.statusCode, 400, 'the first node must be a lighthouse');

    const [refused, invited, created] = await entries('?limit=3');
    assert.deepEqual([refused.action, refused.result], ['overlay.node_request.create', 'failure']);
    assert.deepEqual([invited.action, invited.resource_type, invited.resource_id], ['overlay.invitation.create', 'invitation', invitation.json().id]);
    assert.deepEqual([created.action, created.resource_type, created.resource_id, created.result], ['overlay.network.create', 'network', net.json().id, 'success']);
    for (const e of [invited, created]) {
      assert.equal(e.actor_type, 'user');
      assert.equal(e.actor_id, owner.user.id);
      assert.equal(e.actor_name, owner.user.username);
      assert.equal(e.client_ip, '127.0.0.1');
    }
    assert.equal(invited.details.email, 'a@example.com');
    assert.deepEqual((await entries('?resource_type=invitation')).map((e) => e.id), [invited.id]);
  });
});

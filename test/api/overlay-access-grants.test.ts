import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const HOUR = 3_600_000;

describe('overlay access grants (/api/access-grants) and what they open', () => {
  let r: TestRampart;
  let clock = new Date('2026-06-10T10:00:00Z');
  let owner: SignedIn;
  let member: SignedIn;
  let plain: SignedIn;
  let admin: SignedIn;
  let otherAdmin: SignedIn;
  let networkId: string;
  let lighthouseId: string;
  let webId: string;

  async function call(method: string, url: string, who: SignedIn | null, payload?: unknown) {
    return r.app.inject({ method: method as 'GET', url, headers: who ? who.headers : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
  }
  const grant = (who: SignedIn, body: Record<string, unknown>) =>
    call('POST', '/api/access-grants', who, { admin_user_id: admin.user.id, resource_type: 'network', resource_id: networkId, duration_hours: 1, reason: 'ticket 4711', ...body });
  const grants = async (who: SignedIn, query = '') => {
    const res = await call('GET', `/api/access-grants${query}`, who);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as any[];
  };
  /** Whether the admin can read the network's CA and each node's config (key material). */
  const secrets = async (who: SignedIn) => {
    const network = await call('GET', `/api/networks/${networkId}`, who);
    assert.equal(network.statusCode, 200, network.body);
    const config = async (id: string) => {
      const res = await call('GET', `/api/nodes/${id}/config`, who);
      assert.ok([200, 403].includes(res.statusCode), res.body);
      return res.statusCode === 200;
    };
    return { ca: network.json().ca_certificate !== null, lighthouse: await config(lighthouseId), web: await config(webId) };
  };
  const createNode = async (body: Record<string, unknown>) => {
    const res = await call('POST', '/api/certificates/create', owner, { network_id: networkId, ...body });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().node_id as string;
  };

  before(async () => {
    r = await createTestRampart({ now: () => clock, overrides: { 'auth.access_token_ttl_s': 86_400, 'auth.session_ttl_s': 30 * 86_400 } });
    [owner, member, plain] = await Promise.all([signIn(r), signIn(r), signIn(r)]);
    [admin, otherAdmin] = await Promise.all([signIn(r, { roles: ['admin'] }), signIn(r, { roles: ['admin'] })]);
    const net = await call('POST', '/api/networks', owner, { name: 'grants-net', subnet_cidr: '10.60.0.0/24' });
    assert.equal(net.statusCode, 200, net.body);
    networkId = net.json().id;
    assert.equal((await call('POST', `/api/networks/${networkId}/users`, owner, { user_id: member.user.id, role: 'member', can_manage_nodes: true, can_invite_users: true })).statusCode, 200);
    lighthouseId = await createNode({ name: 'lighthouse', is_lighthouse: true, public_endpoint: '203.0.113.1:4242' });
    webId = await createNode({ name: 'web', group: 'web' });
  });
  after(() => r.cleanup());

  test('a system admin who is not a member cannot read the network’s secrets', async () => {
    assert.deepEqual(await secrets(admin), { ca: false, lighthouse: false, web: false });
    assert.deepEqual(await secrets(owner), { ca: true, lighthouse: true, web: true });
  });

  test('only owners grant, only to system admins, with a duration of 1 to 720 hours and a reason', async () => {
    const cases: [SignedIn, Record<string, unknown>, number, RegExp][] = [
      [member, {}, 403, /Only network owners/],
      [admin, {}, 403, /Only network owners/], // administrators cannot grant themselves access
      [plain, {}, 404, /Network not found/],
      [owner, { admin_user_id: plain.user.id }, 400, /not a system admin/],
      [owner, { admin_user_id: randomUUID() }, 404, /Admin user not found/],
      [owner, { admin_user_id: 'someone' }, 404, /Admin user not found/],
      [owner, { duration_hours: 0 }, 400, /duration_hours/],
      [owner, { duration_hours: 721 }, 400, /duration_hours/],
      [owner, { duration_hours: 1.5 }, 400, /duration_hours/],
      [owner, { reason: '' }, 400, /reason/],
      [owner, { reason: '   ' }, 400, /reason/],
      [owner, { reason: undefined }, 400, /reason/],
      [owner, { resource_type: 'host' }, 400, /resource_type/],
      [owner, { resource_id: randomUUID() }, 404, /Network not found/],
      [owner, { resource_type: 'node', resource_id: randomUUID() }, 404, /Node not found/],
      [owner, { resource_type: 'node', resource_id: 'x' }, 404, /Node not found/],
    ];
    for (const [who, body, status, detail] of cases) {
      const res = await grant(who, body);
      assert.equal(res.statusCode, status, `${JSON.stringify(body)}: ${res.body}`);
      assert.deepEqual(Object.keys(res.json()), ['detail']);
      assert.match(res.json().detail, detail, JSON.stringify(body));
    }
    assert.deepEqual(await grants(owner, '?active_only=false'), [], 'nothing was created');
  });

  test('a network grant opens the CA and every node config; revoking it (only the granter may) closes them again', async () => {
    const res = await grant(owner, { duration_hours: 24, reason: 'support ticket 4711' });
    assert.equal(res.statusCode, 200, res.body);
    const g = res.json();
    assert.equal(g.admin_user_id, admin.user.id);
    assert.equal(g.granted_by_user_id, owner.user.id);
    assert.equal(g.resource_name, 'grants-net');
    assert.equal(g.network_id, networkId);
    assert.equal(g.reason, 'support ticket 4711');
    assert.equal(g.expires_at, new Date(clock.getTime() + 24 * HOUR).toISOString());
    assert.equal(g.active, true);

    assert.deepEqual(await secrets(admin), { ca: true, lighthouse: true, web: true });
    assert.deepEqual(await secrets(otherAdmin), { ca: false, lighthouse: false, web: false }, 'the grant is personal');

    assert.deepEqual((await grants(owner)).map((x) => x.id), [g.id], 'owners see the grants they gave');
    assert.deepEqual((await grants(admin)).map((x) => x.id), [g.id], 'admins see the grants they hold');
    assert.deepEqual(await grants(otherAdmin), []);
    assert.deepEqual(await grants(member), []);

    for (const [who, status] of [[admin, 403], [member, 403], [otherAdmin, 403]] as const) {
      const denied = await call('DELETE', `/api/access-grants/${g.id}`, who);
      assert.equal(denied.statusCode, status, denied.body);
      assert.deepEqual(denied.json(), { detail: 'Only the granter can revoke this access' });
    }
    for (const id of [randomUUID(), 'nope']) assert.equal((await call('DELETE', `/api/access-grants/${id}`, owner)).statusCode, 404);

    const revoked = await call('DELETE', `/api/access-grants/${g.id}`, owner);
    assert.equal(revoked.statusCode, 204, revoked.body);
    assert.equal(revoked.body, '');
    assert.deepEqual(await secrets(admin), { ca: false, lighthouse: false, web: false });
    assert.deepEqual(await grants(owner), [], 'active_only is the default');
    const history = await grants(owner, '?active_only=false');
    assert.equal(history.length, 1);
    assert.equal(history[0].active, false);
    assert.equal(history[0].revoked_at, clock.toISOString());
    assert.equal((await call('DELETE', `/api/access-grants/${g.id}`, owner)).statusCode, 204, 'revoking twice changes nothing');

    const audit = await r.core.audit.list({ resourceType: 'access_grant', resourceId: g.id, result: 'success' }, { limit: 10 });
    assert.deepEqual(audit.items.map((e) => e.action).sort(), ['overlay.access_grant.create', 'overlay.access_grant.revoke', 'overlay.access_grant.revoke']);
    assert.equal(audit.items.find((e) => e.action === 'overlay.access_grant.create')!.details.reason, 'support ticket 4711');
  });

  test('a node grant opens that node’s config only, and a grant stops working when it expires', async () => {
    const res = await grant(owner, { admin_user_id: otherAdmin.user.id, resource_type: 'node', resource_id: webId, duration_hours: 1 });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().resource_name, 'web');
    assert.deepEqual(await secrets(otherAdmin), { ca: false, lighthouse: false, web: true });

    clock = new Date(clock.getTime() + HOUR - 1000);
    assert.deepEqual(await secrets(otherAdmin), { ca: false, lighthouse: false, web: true }, 'still inside the hour');
    clock = new Date(clock.getTime() + 2000);
    assert.deepEqual(await secrets(otherAdmin), { ca: false, lighthouse: false, web: false }, 'expired');
    assert.deepEqual(await grants(otherAdmin), []);
    const [expired] = await grants(otherAdmin, '?active_only=false');
    assert.equal(expired.active, false);
    assert.equal(expired.revoked_at, null);
    assert.equal((await call('GET', '/api/access-grants?active_only=perhaps', owner)).statusCode, 400);
  });
});

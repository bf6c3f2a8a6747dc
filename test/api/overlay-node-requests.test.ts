import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('overlay node requests (/api/node-requests)', () => {
  let r: TestRampart;
  let owner: SignedIn;
  let member: SignedIn;
  let manager: SignedIn;
  let stranger: SignedIn;
  let admin: SignedIn;
  let networkId: string;

  async function call(method: string, url: string, who: SignedIn | null, payload?: unknown) {
    return r.app.inject({ method: method as 'GET', url, headers: who ? who.headers : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
  }
  const request = (who: SignedIn, body: Record<string, unknown>) => call('POST', '/api/node-requests', who, { network_id: networkId, ...body });
  const list = async (who: SignedIn, query = '') => {
    const res = await call('GET', `/api/node-requests${query}`, who);
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as any[];
  };
  const approve = (who: SignedIn, id: string) => call('POST', `/api/node-requests/${id}/approve`, who, {});
  const reject = (who: SignedIn, id: string, reason?: string) => call('POST', `/api/node-requests/${id}/reject`, who, reason === undefined ? {} : { reason });
  const auditOf = async (action: string, resourceId: string) => (await r.core.audit.list({ action, resourceId, result: 'success' }, { limit: 5 })).items;

  before(async () => {
    r = await createTestRampart();
    [owner, member, manager, stranger] = await Promise.all([signIn(r), signIn(r), signIn(r), signIn(r)]);
    admin = await signIn(r, { roles: ['admin'] });
    const net = await call('POST', '/api/networks', owner, { name: 'requests-net', subnet_cidr: '10.50.0.0/24' });
    assert.equal(net.statusCode, 200, net.body);
    networkId = net.json().id;
    for (const [who, flags] of [[member, {}], [manager, { can_manage_nodes: true }]] as const) {
      const added = await call('POST', `/api/networks/${networkId}/users`, owner, { user_id: who.user.id, role: 'member', ...flags });
      assert.equal(added.statusCode, 200, added.body);
    }
  });
  after(() => r.cleanup());

  test('a member asks for a node: pending, visible to them and to the managers, not to strangers', async () => {
    const res = await request(member, { hostname: 'lighthouse-1', groups: ['infra'], is_lighthouse: true });
    assert.equal(res.statusCode, 200, res.body);
    const pending = res.json();
    assert.equal(pending.status, 'pending');
    assert.equal(pending.created_node_id, null);
    assert.equal(pending.network_name, 'requests-net');
    assert.equal(pending.requested_by_user_id, member.user.id);
    assert.deepEqual(pending.groups, ['infra']);
    assert.equal(pending.is_lighthouse, true);

    for (const who of [member, owner, manager, admin]) assert.ok((await list(who)).some((x) => x.id === pending.id), who.user.username);
    assert.deepEqual(await list(stranger), []);
    assert.equal((await auditOf('overlay.node_request.create', pending.id)).length, 1);
  });

  test('approval needs manage_nodes; it creates the node with an address and certificate, once', async () => {
    const [pending] = await list(owner, '?status=pending');
    assert.equal(pending.hostname, 'lighthouse-1');

    const byMember = await approve(member, pending.id);
    assert.equal(byMember.statusCode, 403, byMember.body);
    assert.match(byMember.json().detail, /can_manage_nodes/);
    assert.equal((await approve(stranger, pending.id)).statusCode, 404);
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const res = await approve(owner, id);
      assert.equal(res.statusCode, 404, id);
      assert.deepEqual(res.json(), { detail: 'Node request not found' });
    }

    const res = await approve(manager, pending.id);
    assert.equal(res.statusCode, 200, res.body);
    const approved = res.json();
    assert.equal(approved.status, 'approved');
    assert.equal(approved.processed_by_user_id, manager.user.id);
    assert.ok(approved.processed_at);
    assert.ok(approved.created_node_id);

    const node = await call('GET', `/api/nodes/${approved.created_node_id}`, owner);
    assert.equal(node.statusCode, 200, node.body);
    assert.equal(node.json().hostname, 'lighthouse-1');
    assert.equal(node.json().is_lighthouse, true);
    assert.deepEqual(node.json().groups, ['infra']);
    assert.match(node.json().ip_address, /^10\.50\.0\.\d+$/);
    assert.ok(node.json().cert_expires_at, 'the node has a certificate');

    const again = await approve(owner, pending.id);
    assert.equal(again.statusCode, 400);
    assert.deepEqual(again.json(), { detail: 'Request is not pending' });
    assert.equal((await reject(owner, pending.id, 'too late')).statusCode, 400);
    assert.deepEqual((await auditOf('overlay.node_request.approve', pending.id)).map((e) => e.details.created_node_id), [approved.created_node_id]);
  });

  test('rejection needs manage_nodes and a reason; a rejected request cannot be approved', async () => {
    const created = (await request(member, { hostname: 'web-1', groups: ['web'] })).json();
    assert.equal(created.status, 'pending');
    assert.equal((await reject(member, created.id, 'no')).statusCode, 403);
    for (const body of [undefined, '']) assert.equal((await reject(owner, created.id, body)).statusCode, 400, `reason ${body}`);

    const res = await reject(manager, created.id, 'use the web-2 slot instead');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'rejected');
    assert.equal(res.json().rejection_reason, 'use the web-2 slot instead');
    assert.equal(res.json().created_node_id, null);
    assert.equal((await approve(owner, created.id)).statusCode, 400);
    const nodes = (await call('GET', `/api/nodes?network_id=${networkId}`, owner)).json();
    assert.ok(!nodes.some((n: any) => n.hostname === 'web-1'), 'no node was created');
    assert.equal((await auditOf('overlay.node_request.reject', created.id))[0].details.reason, 'use the web-2 slot instead');

    // A rejected hostname may be asked for again.
    assert.equal((await request(member, { hostname: 'web-1' })).json().status, 'pending');
  });

  test('a caller with manage_nodes is approved at once, and so is everyone once the network auto-approves', async () => {
    const direct = await request(manager, { hostname: 'db-1', groups: ['db'] });
    assert.equal(direct.statusCode, 200, direct.body);
    assert.equal(direct.json().status, 'approved');
    assert.ok(direct.json().created_node_id);
    assert.equal((await call('GET', `/api/nodes/${direct.json().created_node_id}`, owner)).json().hostname, 'db-1');

    assert.equal((await request(member, { hostname: 'db-2' })).json().status, 'pending');
    const patched = await call('PATCH', `/api/networks/${networkId}`, owner, { auto_approve_nodes: true });
    assert.equal(patched.statusCode, 200, patched.body);
    const auto = await request(member, { hostname: 'db-3', groups: ['db'] });
    assert.equal(auto.json().status, 'approved');
    assert.equal((await call('GET', `/api/nodes/${auto.json().created_node_id}`, member)).json().hostname, 'db-3');
    await call('PATCH', `/api/networks/${networkId}`, owner, { auto_approve_nodes: false });
  });

  test('bad input, unknown networks, strangers and taken hostnames get clear 4xx', async () => {
    const cases: [SignedIn, Record<string, unknown>, number, RegExp][] = [
      [member, { hostname: undefined }, 400, /hostname/],
      [member, { hostname: 'bad name!' }, 400, /not a valid node name/],
      [member, { hostname: 'ok-1', groups: ['a,b'] }, 400, /not a valid group name/],
      [member, { hostname: 'ok-1', network_id: randomUUID() }, 404, /Network not found/],
      [member, { hostname: 'ok-1', network_id: 'nope' }, 404, /Network not found/],
      [stranger, { hostname: 'ok-1' }, 404, /Network not found/],
      [member, { hostname: 'lighthouse-1' }, 409, /already exists/],
      [member, { hostname: 'db-2' }, 409, /already pending/],
    ];
    for (const [who, body, status, detail] of cases) {
      const res = await request(who, body);
      assert.equal(res.statusCode, status, `${JSON.stringify(body)}: ${res.body}`);
      assert.match(res.json().detail, detail);
    }
    assert.equal((await call('GET', '/api/node-requests?status=maybe', owner)).statusCode, 400);
    assert.equal((await call('POST', '/api/node-requests', null, { network_id: networkId, hostname: 'x' })).statusCode, 401);
  });

  test('the list filters by network and status, newest first', async () => {
    const all = await list(owner, `?network_id=${networkId}`);
    assert.ok(all.length >= 6);
    const times = all.map((x) => x.created_at);
    assert.deepEqual(times, [...times].sort().reverse());
    const rejected = await list(owner, '?status=rejected');
    assert.deepEqual(rejected.map((x) => x.hostname), ['web-1']);
    assert.deepEqual(await list(owner, `?network_id=${randomUUID()}`), []);
    assert.deepEqual(await list(owner, '?network_id=garbage'), []);
    // The member sees only their own requests (the manager's db-1 is not theirs).
    assert.ok((await list(member)).every((x) => x.requested_by_user_id === member.user.id));
  });

  test('two concurrent approvals of one request create one node', async () => {
    const created = (await request(member, { hostname: 'race-1' })).json();
    const results = await Promise.all([approve(owner, created.id), approve(manager, created.id)]);
    assert.deepEqual(results.map((x) => x.statusCode).sort(), [200, 400], results.map((x) => x.body).join(' | '));
    const nodes = (await call('GET', `/api/nodes?network_id=${networkId}`, owner)).json();
    assert.equal(nodes.filter((n: any) => n.hostname === 'race-1').length, 1);
  });
});

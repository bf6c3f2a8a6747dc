import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('overlay network users (/api/networks/{id}/users) and /api/users networks', () => {
  let r: TestRampart;
  let owner: SignedIn;
  let inviter: SignedIn;
  let plain: SignedIn;
  let outsider: SignedIn;
  let admin: SignedIn;
  let networkId: string;

  before(async () => {
    r = await createTestRampart();
    [owner, inviter, plain, outsider] = await Promise.all([signIn(r), signIn(r), signIn(r), signIn(r)]);
    admin = await signIn(r, { roles: ['admin'] });
    const res = await call('POST', '/api/networks', owner, { name: 'team', subnet_cidr: '10.20.0.0/24' });
    assert.equal(res.statusCode, 200, res.body);
    networkId = res.json().id;
  });
  after(() => r.cleanup());

  async function call(method: string, url: string, who: SignedIn, payload?: unknown) {
    return r.app.inject({ method: method as 'GET', url, headers: who.headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  }
  const users = (who: SignedIn) => call('GET', `/api/networks/${networkId}/users`, who);
  const add = (who: SignedIn, body: Record<string, unknown>) => call('POST', `/api/networks/${networkId}/users`, who, body);
  const patch = (who: SignedIn, target: string, body: Record<string, unknown>) => call('PATCH', `/api/networks/${networkId}/users/${target}`, who, body);
  const remove = (who: SignedIn, target: string) => call('DELETE', `/api/networks/${networkId}/users/${target}`, who);

  test('the creator is listed as owner; owners add members who then see the network with their flags', async () => {
    const list = await users(owner);
    assert.equal(list.statusCode, 200, list.body);
    assert.equal(list.json().length, 1);
    assert.equal(list.json()[0].user_id, owner.user.id);
    assert.equal(list.json()[0].role, 'owner');
    assert.equal(list.json()[0].invited_by, null);

    const added = await add(owner, { user_id: inviter.user.id, can_invite_users: true });
    assert.equal(added.statusCode, 200, added.body);
    assert.deepEqual({ ...(added.json() as object), created_at: undefined }, {
      user_id: inviter.user.id, email: null, role: 'member', can_manage_nodes: false, can_invite_users: true, can_manage_firewall: false,
      invited_by: owner.user.id, invited_by_user_id: owner.user.id, invited_by_email: null, created_at: undefined,
    });
    const seen = (await call('GET', '/api/networks', inviter)).json();
    assert.deepEqual(seen.map((n: any) => [n.name, n.role, n.can_manage_nodes, n.can_invite_users, n.can_manage_firewall]), [['team', 'member', false, true, false]]);
    const audit = await r.core.audit.list({ action: 'overlay.network_user.add', resourceId: networkId, result: 'success' }, { limit: 5 });
    assert.equal(audit.items[0].details?.user_id, inviter.user.id);
  });

  test('members with can_invite_users add members but not owners; others cannot add at all', async () => {
    const ownerByInviter = await add(inviter, { user_id: plain.user.id, role: 'owner' });
    assert.equal(ownerByInviter.statusCode, 403);
    assert.deepEqual(ownerByInviter.json(), { detail: 'only an owner of this network can add an owner' });

    const ok = await add(inviter, { user_id: plain.user.id });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().invited_by, inviter.user.id);

    const again = await add(owner, { user_id: plain.user.id });
    assert.equal(again.statusCode, 400);
    assert.deepEqual(again.json(), { detail: 'User is already a member of this network' });

    const byPlain = await add(plain, { user_id: outsider.user.id });
    assert.equal(byPlain.statusCode, 403);
    assert.deepEqual(byPlain.json(), { detail: 'this needs can_invite_users on this network' });

    const byOutsider = await add(outsider, { user_id: outsider.user.id });
    assert.equal(byOutsider.statusCode, 404, 'a network one does not belong to is invisible');
    assert.deepEqual(byOutsider.json(), { detail: 'Network not found' });

    for (const userId of [randomUUID(), 'not-a-uuid']) {
      const unknown = await add(owner, { user_id: userId });
      assert.equal(unknown.statusCode, 404);
      assert.deepEqual(unknown.json(), { detail: 'Target user not found' });
    }
    const badRole = await add(owner, { user_id: outsider.user.id, role: 'admin' });
    assert.equal(badRole.statusCode, 400);
    assert.match(badRole.json().detail, /role/);
  });

  test('listing and changing members is for owners (and system admins) only', async () => {
    assert.equal((await users(inviter)).statusCode, 403);
    assert.equal((await users(outsider)).statusCode, 404);
    assert.equal((await users(admin)).statusCode, 200, 'system admins list any network\'s users');
    assert.equal((await patch(inviter, plain.user.id, { can_manage_nodes: true })).statusCode, 403);
    assert.equal((await remove(inviter, plain.user.id)).statusCode, 403);

    const unknownField = await patch(owner, plain.user.id, { can_do_anything: true });
    assert.equal(unknownField.statusCode, 400);
    assert.match(unknownField.json().detail, /can_do_anything/);
    for (const target of [outsider.user.id, 'nobody']) {
      const res = await patch(owner, target, { can_manage_nodes: true });
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), { detail: 'User is not a member of this network' });
    }

    const updated = await patch(owner, plain.user.id, { can_manage_firewall: true });
    assert.equal(updated.statusCode, 200, updated.body);
    assert.deepEqual([updated.json().can_manage_nodes, updated.json().can_invite_users, updated.json().can_manage_firewall], [false, false, true], 'flags left out keep their value');
    assert.equal((await call('GET', `/api/networks/${networkId}/group-firewall`, plain)).statusCode, 200, 'the new flag takes effect');
  });

  test('the last owner can be neither demoted nor removed', async () => {
    const demote = await patch(owner, owner.user.id, { role: 'member' });
    assert.equal(demote.statusCode, 400);
    assert.match(demote.json().detail, /Cannot demote the last owner/);
    const removeLast = await remove(owner, owner.user.id);
    assert.equal(removeLast.statusCode, 400);
    assert.match(removeLast.json().detail, /Cannot remove the last owner/);

    const promoted = await patch(owner, plain.user.id, { role: 'owner' });
    assert.equal(promoted.json().role, 'owner');
    assert.deepEqual([promoted.json().can_manage_nodes, promoted.json().can_invite_users], [true, true], 'owners hold every flag');
    const demoted = await patch(plain, owner.user.id, { role: 'member' });
    assert.equal(demoted.statusCode, 200, 'with two owners one may be demoted');
    assert.equal((await patch(plain, plain.user.id, { role: 'member' })).statusCode, 400, 'now plain is the last owner');
    assert.equal((await patch(plain, owner.user.id, { role: 'owner' })).statusCode, 200);
  });

  test('two owners removing each other at once: one of them stays', async () => {
    // Owners: owner and plain. Each removes the other concurrently; the network must keep exactly one owner.
    const results = await Promise.all([remove(owner, plain.user.id), remove(plain, owner.user.id)]);
    const codes = results.map((res) => res.statusCode).sort();
    const owners = await r.core.db.kysely.selectFrom('overlay_network_permissions').select('user_id').where('network_id', '=', networkId).where('role', '=', 'owner').execute();
    assert.equal(owners.length, 1, `codes ${codes}`);
    // The loser is refused: 400 (last owner) when it got past the permission check before the winner committed,
    // 404 when it was no longer a member by then.
    assert.deepEqual(codes[0], 204);
    assert.ok([400, 404].includes(codes[1]), `codes ${codes}`);
    const survivor = owners[0].user_id === owner.user.id ? owner : plain;
    const gone = survivor === owner ? plain : owner;
    // Back to owner + plain (member with can_manage_firewall) for the next tests.
    assert.equal((await add(survivor, { user_id: gone.user.id, role: 'owner' })).statusCode, 200);
    assert.equal((await remove(owner, plain.user.id)).statusCode, 204);
    assert.equal((await add(owner, { user_id: plain.user.id, can_manage_firewall: true })).statusCode, 200);
  });

  test('removing a member takes the network away from them', async () => {
    assert.equal((await remove(owner, inviter.user.id)).statusCode, 204);
    assert.equal((await call('GET', `/api/networks/${networkId}`, inviter)).statusCode, 404);
    assert.equal((await remove(owner, inviter.user.id)).statusCode, 404);
  });

  test('/api/users shows network_count and memberships; deleting a last owner is refused, naming the network', async () => {
    const list = (await call('GET', '/api/users', admin)).json();
    const countOf = (id: string) => list.find((u: any) => u.id === id).network_count;
    assert.equal(countOf(owner.user.id), 1);
    assert.equal(countOf(plain.user.id), 1);
    assert.equal(countOf(outsider.user.id), 0);

    const detail = (await call('GET', `/api/users/${plain.user.id}`, admin)).json();
    assert.equal(detail.network_count, 1);
    assert.deepEqual(detail.networks, [{ network_id: networkId, network_name: 'team', role: 'member', can_manage_nodes: false, can_invite_users: false, can_manage_firewall: true }]);

    const refused = await call('DELETE', `/api/users/${owner.user.id}`, admin);
    assert.equal(refused.statusCode, 409);
    assert.match(refused.json().detail, /last owner of network 'team'/);
    assert.equal((await call('GET', `/api/users/${owner.user.id}`, admin)).statusCode, 200, 'still there');

    assert.equal((await call('DELETE', `/api/users/${plain.user.id}`, admin)).statusCode, 204, 'a member can be deleted');
    const left = (await users(owner)).json().map((m: any) => m.user_id);
    assert.deepEqual(left, [owner.user.id], 'their permission went with them');

    assert.equal((await add(owner, { user_id: outsider.user.id, role: 'owner' })).statusCode, 200);
    assert.equal((await call('DELETE', `/api/users/${owner.user.id}`, admin)).statusCode, 204, 'with another owner left, the user may go');
    assert.deepEqual((await users(outsider)).json().map((m: any) => m.role), ['owner']);
  });
});

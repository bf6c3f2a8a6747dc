import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const PASSWORD = 'a perfectly fine passphrase';

describe('user management on every surface', () => {
  let r: TestRampart;
  let admin: SignedIn;
  /** Every response body, searched at the end for anything that looks like a password hash. */
  const bodies: string[] = [];

  before(async () => {
    r = await createTestRampart({ overrides: { 'auth.login_rate_limit_per_minute': 10_000 } });
    admin = await signIn(r, { roles: ['admin'], username: 'root-admin' });
  });
  after(() => r.cleanup());

  async function call(method: string, url: string, headers: Record<string, string>, payload?: unknown) {
    const res = await r.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    bodies.push(res.body);
    return res;
  }
  const login = (username: string, password: string) => call('POST', '/api/v1/auth/login', {}, { username, password });
  /** The successful audit rows of an action on a resource. */
  const auditOf = async (action: string, resourceId: string) => (await r.core.audit.list({ action, resourceId, result: 'success' }, { limit: 20 })).items;

  describe('fleet (OpenWatch)', () => {
    test('create, get, list, update and delete a user; the password hash never appears', async () => {
      const created = await call('POST', '/api/v1/users', admin.headers, { username: 'Fleet-One', email: 'one@example.com', password: PASSWORD, display_name: 'One' });
      assert.equal(created.statusCode, 201, created.body);
      const user = created.json();
      assert.equal(user.username, 'fleet-one');
      assert.equal(user.status, 'active');
      assert.deepEqual(user.roles, []);
      assert.equal('password_hash' in user, false);
      assert.match((await r.core.identity.users.findRowByUsername('fleet-one'))!.password_hash!, /^\$argon2id\$/);
      assert.equal((await login('fleet-one', PASSWORD)).statusCode, 200, 'the new user can sign in');

      const got = await call('GET', `/api/v1/users/${user.id}`, admin.headers);
      assert.equal(got.json().email, 'one@example.com');

      const page = await call('GET', '/api/v1/users?search=fleet-&limit=1', admin.headers);
      assert.equal(page.statusCode, 200);
      // users: OpenWatch's UI reads the list there; items, total, limit, offset: Rampart's console pages.
      assert.deepEqual(Object.keys(page.json()).sort(), ['items', 'limit', 'offset', 'total', 'users']);
      assert.deepEqual(page.json().users, page.json().items);
      assert.equal(page.json().items[0].username, 'fleet-one');
      assert.equal(page.json().limit, 1);
      for (const bad of ['limit=0', 'limit=201', 'offset=-1', 'status=gone']) {
        assert.equal((await call('GET', `/api/v1/users?${bad}`, admin.headers)).statusCode, 400, bad);
      }

      const patched = await call('PATCH', `/api/v1/users/${user.id}`, admin.headers, { display_name: 'Number One', email: null });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal(patched.json().display_name, 'Number One');
      assert.equal(patched.json().email, null);

      const deleted = await call('DELETE', `/api/v1/users/${user.id}`, admin.headers);
      assert.equal(deleted.statusCode, 204);
      assert.equal((await call('GET', `/api/v1/users/${user.id}`, admin.headers)).statusCode, 404);
      const rows = await auditOf('identity.user.delete', user.id);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].actor_id, admin.user.id);
    });

    test('a taken username is 409 and a weak password 400, in the fleet envelope', async () => {
      const body = { username: 'dup-fleet', email: 'dup@example.com', password: PASSWORD };
      assert.equal((await call('POST', '/api/v1/users', admin.headers, body)).statusCode, 201);
      const dup = await call('POST', '/api/v1/users', admin.headers, { ...body, username: 'DUP-fleet' });
      assert.equal(dup.statusCode, 409);
      assert.equal(dup.json().error.code, 'conflict');
      const weak = await call('POST', '/api/v1/users', admin.headers, { ...body, username: 'weak-fleet', password: 'weak-fleet' });
      assert.equal(weak.statusCode, 400);
      assert.match(weak.json().error.human_message, /at least 12 characters/);
    });

    test('roles:assign and roles:unassign change what the user may do (/me/permissions)', async () => {
      const target = await signIn(r, { username: 'assignee' });
      const perms = async () => (await call('GET', '/api/v1/auth/me/permissions', target.headers)).json().permissions as string[];
      assert.deepEqual(await perms(), []);

      const viewer = await r.core.identity.rbac.getRole('viewer');
      const assigned = await call('POST', `/api/v1/users/${target.user.id}/roles:assign`, admin.headers, { role_id: viewer.id });
      assert.equal(assigned.statusCode, 200, assigned.body);
      assert.deepEqual(assigned.json().roles, ['viewer']);
      assert.ok((await perms()).includes('host:read'));

      const unassigned = await call('POST', `/api/v1/users/${target.user.id}/roles:unassign`, admin.headers, { role_id: 'viewer' });
      assert.deepEqual(unassigned.json().roles, []);
      assert.deepEqual(await perms(), []);
      assert.equal((await auditOf('identity.role.assign', target.user.id)).length, 1);
      assert.equal((await auditOf('identity.role.unassign', target.user.id)).length, 1);

      const unknown = await call('POST', `/api/v1/users/${target.user.id}/roles:assign`, admin.headers, { role_id: 'no-such-role' });
      assert.equal(unknown.statusCode, 404);
    });

    test('nobody grants more than they hold: role:assign or user:write alone cannot make an administrator', async () => {
      const lead = await signIn(r, { permissions: ['role:assign', 'user:write', 'user:read', 'host:read'] });
      const target = await r.core.identity.users.create({ username: 'escalation-target' });
      const toAdmin = await call('POST', `/api/v1/users/${target.id}/roles:assign`, lead.headers, { role_id: 'admin' });
      assert.equal(toAdmin.statusCode, 403);
      assert.match(toAdmin.json().error.human_message, /admin/);
      const created = await call('POST', '/api/v1/users', lead.headers, { username: 'sneaky', email: 's@example.com', password: PASSWORD, roles: ['admin'] });
      assert.equal(created.statusCode, 403);
      assert.equal(await r.core.identity.users.findRowByUsername('sneaky'), undefined);

      const holds = await r.core.identity.rbac.createRole({ name: 'host-readers', permissions: ['host:read'] });
      const ok = await call('POST', `/api/v1/users/${target.id}/roles:assign`, lead.headers, { role_id: holds.id });
      assert.equal(ok.statusCode, 200, 'a role within the granter\'s own permissions is fine');
    });

    test('an administrator cannot delete or suspend themself, nor remove the last administrator', async () => {
      const self = await call('DELETE', `/api/v1/users/${admin.user.id}`, admin.headers);
      assert.equal(self.statusCode, 400);
      const suspend = await call('PATCH', `/api/v1/users/${admin.user.id}`, admin.headers, { status: 'suspended' });
      assert.equal(suspend.statusCode, 400);

      const other = await signIn(r, { roles: ['admin'] });
      await r.core.identity.users.update(other.user.id, { status: 'disabled' });
      const last = await call('POST', `/api/v1/users/${admin.user.id}/roles:unassign`, other.headers, { role_id: 'admin' });
      assert.equal(last.statusCode, 401, 'a disabled administrator is signed out');
      const byApi = await signIn(r, { permissions: ['role:assign', 'user:delete', 'user:read'] });
      const unassign = await call('POST', `/api/v1/users/${admin.user.id}/roles:unassign`, byApi.headers, { role_id: 'admin' });
      assert.equal(unassign.statusCode, 409);
      const del = await call('DELETE', `/api/v1/users/${admin.user.id}`, byApi.headers);
      assert.equal(del.statusCode, 409);
      assert.ok((await r.core.identity.users.get(admin.user.id)).roles.includes('admin'));
    });
  });

  describe('edge (AiFw)', () => {
    test('users with a role, enabled switch, role change and delete', async () => {
      const created = await call('POST', '/api/v1/auth/users', admin.headers, { username: 'edge-op', password: PASSWORD, role: 'operator' });
      assert.equal(created.statusCode, 201, created.body);
      const user = created.json();
      assert.equal(user.role, 'operator');
      assert.equal(user.enabled, true);

      const defaulted = await call('POST', '/api/v1/auth/users', admin.headers, { username: 'edge-default', password: PASSWORD });
      assert.equal(defaulted.json().role, 'viewer');

      const list = await call('GET', '/api/v1/auth/users', admin.headers);
      assert.ok(Array.isArray(list.json().data), "AiFw's {data: [...]}");
      assert.ok(list.json().data.some((u: any) => u.username === 'edge-op'));

      const session = await signIn(r, { username: 'edge-signed', roles: ['operator'] });
      const disabled = await call('PUT', `/api/v1/auth/users/${session.user.id}`, admin.headers, { enabled: false, role: 'viewer' });
      assert.equal(disabled.statusCode, 200, disabled.body);
      assert.equal(disabled.json().status, 'disabled');
      assert.equal(disabled.json().role, 'viewer');
      assert.equal((await call('GET', '/api/v1/auth/me', session.headers)).statusCode, 401, 'disabling ends the sessions');

      const reset = await call('PUT', `/api/v1/auth/users/${user.id}`, admin.headers, { password: 'a brand new passphrase', enabled: true });
      assert.equal(reset.statusCode, 200, reset.body);
      assert.equal((await login('edge-op', 'a brand new passphrase')).statusCode, 200);

      const dup = await call('POST', '/api/v1/auth/users', admin.headers, { username: 'EDGE-OP', password: PASSWORD });
      assert.equal(dup.statusCode, 409);
      assert.deepEqual(Object.keys(dup.json()), ['error']);

      assert.equal((await call('DELETE', `/api/v1/auth/users/${user.id}`, admin.headers)).statusCode, 204);
      assert.equal((await call('GET', `/api/v1/auth/users/${user.id}`, admin.headers)).statusCode, 404);
    });

    test('an operator may read but not change users', async () => {
      const op = await signIn(r, { roles: ['operator'] });
      assert.equal((await call('GET', '/api/v1/auth/users', op.headers)).statusCode, 200);
      assert.equal((await call('POST', '/api/v1/auth/users', op.headers, { username: 'nope-op', password: PASSWORD })).statusCode, 403);
      const viewer = await signIn(r, { roles: ['viewer'] });
      assert.equal((await call('GET', '/api/v1/auth/users', viewer.headers)).statusCode, 403);
    });
  });

  describe('access (ZTNA)', () => {
    test('the lifecycle endpoint creates, updates, suspends, reactivates and deletes', async () => {
      const created = await call('POST', '/v1/admin/users/lifecycle', admin.headers, { action: 'create', username: 'ztna-user', email: 'z@example.com', password: PASSWORD });
      assert.equal(created.statusCode, 201, created.body);
      const id = created.json().user.id;
      const dup = await call('POST', '/v1/admin/users/lifecycle', admin.headers, { action: 'create', username: 'ZTNA-user' });
      assert.equal(dup.statusCode, 409);
      assert.equal(dup.json().error, 'conflict');

      const updated = await call('POST', '/v1/admin/users/lifecycle', admin.headers, { action: 'update', user_id: id, display_name: 'Zed' });
      assert.equal(updated.json().user.display_name, 'Zed');

      const session = await login('ztna-user', PASSWORD);
      const token = session.json().access_token;
      const suspended = await call('POST', '/v1/admin/users/lifecycle', admin.headers, { action: 'suspend', user_id: id });
      assert.equal(suspended.json().user.status, 'suspended');
      assert.equal((await call('GET', '/api/v1/auth/me', { authorization: `Bearer ${token}` })).statusCode, 401, 'suspending ends every session');
      assert.equal((await login('ztna-user', PASSWORD)).statusCode, 401, 'a suspended user cannot sign in');

      const reactivated = await call('POST', '/v1/admin/users/lifecycle', admin.headers, { action: 'reactivate', user_id: id });
      assert.equal(reactivated.json().user.status, 'active');

      const rows = await auditOf('identity.user.lifecycle', id);
      assert.deepEqual(rows.map((e) => e.details.action).sort(), ['create', 'reactivate', 'suspend', 'update']);

      const writer = await signIn(r, { permissions: ['user:write'] });
      const denied = await call('POST', '/v1/admin/users/lifecycle', writer.headers, { action: 'delete', user_id: id });
      assert.equal(denied.statusCode, 403, 'deleting needs user:delete');
      assert.equal(denied.json().error, 'forbidden');

      const deleted = await call('POST', '/v1/admin/users/lifecycle', admin.headers, { action: 'delete', user_id: id });
      assert.deepEqual(deleted.json(), { user_id: id, deleted: true });
    });

    test('password, suspend and reactivate endpoints; errors in the access envelope', async () => {
      const user = await signIn(r, { username: 'ztna-two' });
      const pw = await call('POST', '/v1/admin/users/password', admin.headers, { user_id: user.user.id, password: 'reset by the admin ok' });
      assert.equal(pw.statusCode, 204);
      assert.equal((await call('GET', '/api/v1/auth/me', user.headers)).statusCode, 401, 'a reset signs the user out');
      assert.equal((await login('ztna-two', 'reset by the admin ok')).statusCode, 200);

      const weak = await call('POST', '/v1/admin/users/password', admin.headers, { user_id: user.user.id, password: 'ztna-two' });
      assert.equal(weak.statusCode, 422, 'the access spec codes validation 422');
      assert.equal(weak.json().error, 'validation_error');

      assert.equal((await call('POST', '/v1/admin/users/suspend', admin.headers, { user_id: user.user.id })).json().user.status, 'suspended');
      assert.equal((await call('POST', '/v1/admin/users/reactivate', admin.headers, { user_id: user.user.id })).json().user.status, 'active');
      assert.equal((await auditOf('identity.user.password_set', user.user.id)).length, 1);

      const self = await call('POST', '/v1/admin/users/suspend', admin.headers, { user_id: admin.user.id });
      assert.equal(self.statusCode, 400);
      assert.equal(typeof self.json().detail, 'string');

      const listed = await call('GET', '/v1/admin/users', admin.headers);
      assert.ok(listed.json().users.some((u: any) => u.username === 'ztna-two'));
    });

    test('rbac grant and revoke', async () => {
      const user = await signIn(r, { username: 'ztna-granted' });
      const granted = await call('POST', '/v1/admin/rbac/grant', admin.headers, { user_id: user.user.id, role: 'auditor' });
      assert.deepEqual(granted.json(), { user_id: user.user.id, roles: ['auditor'] });
      assert.equal((await call('GET', '/api/v1/audit/events', user.headers)).statusCode, 200, 'an auditor reads the audit trail');
      const revoked = await call('POST', '/v1/admin/rbac/revoke', admin.headers, { user_id: user.user.id, role: 'auditor' });
      assert.deepEqual(revoked.json().roles, []);
      assert.equal((await call('GET', '/api/v1/audit/events', user.headers)).statusCode, 403);
      const unknown = await call('POST', '/v1/admin/rbac/grant', admin.headers, { user_id: user.user.id, role: 'ghost' });
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json().error, 'not_found');
    });

    test('groups: create with members, rename, replace members, delete', async () => {
      const a = await r.core.identity.users.create({ username: 'grp-a' });
      const b = await r.core.identity.users.create({ username: 'grp-b' });
      const created = await call('POST', '/v1/admin/groups/lifecycle', admin.headers, { action: 'create', name: 'ops', member_ids: [a.id] });
      assert.equal(created.statusCode, 201, created.body);
      const group = created.json().group;
      assert.deepEqual(group.member_ids, [a.id]);

      const dup = await call('POST', '/v1/admin/groups/lifecycle', admin.headers, { action: 'create', name: 'ops' });
      assert.equal(dup.statusCode, 409);
      const ghost = await call('POST', '/v1/admin/groups/lifecycle', admin.headers, { action: 'update', group_id: group.id, member_ids: ['00000000-0000-4000-8000-000000000000'] });
      assert.equal(ghost.statusCode, 422);

      const updated = await call('POST', '/v1/admin/groups/lifecycle', admin.headers, { action: 'update', group_id: group.id, name: 'operations', member_ids: [b.id] });
      assert.equal(updated.json().group.name, 'operations');
      assert.deepEqual(updated.json().group.member_ids, [b.id]);

      const listed = await call('GET', '/v1/admin/groups', admin.headers);
      assert.deepEqual(listed.json().groups.map((g: any) => g.name), ['operations']);

      const deleted = await call('POST', '/v1/admin/groups/lifecycle', admin.headers, { action: 'delete', group_id: group.id });
      assert.deepEqual(deleted.json(), { group_id: group.id, deleted: true });
      assert.equal((await auditOf('identity.group.lifecycle', group.id)).length, 3);
      const failed = await r.core.audit.list({ action: 'identity.group.lifecycle', resourceId: group.id, result: 'failure' }, { limit: 10 });
      assert.equal(failed.items.length, 1, 'the refused member list is on record too');
    });
  });

  describe('overlay (Nebula Commander)', () => {
    test('system admins list users with system_role and promote or demote them', async () => {
      const user = await r.core.identity.users.create({ username: 'overlay-user', email: 'o@example.com' });
      const list = await call('GET', '/api/users', admin.headers);
      assert.equal(list.statusCode, 200);
      const row = list.json().find((u: any) => u.id === user.id);
      assert.deepEqual(row, { id: user.id, oidc_sub: null, email: 'o@example.com', system_role: 'user', created_at: user.created_at, network_count: 0 });
      assert.equal(list.json().find((u: any) => u.id === admin.user.id).system_role, 'system-admin');

      const promoted = await call('PATCH', `/api/users/${user.id}`, admin.headers, { system_role: 'system-admin' });
      assert.equal(promoted.statusCode, 200, promoted.body);
      assert.equal(promoted.json().system_role, 'system-admin');
      assert.deepEqual(promoted.json().networks, []);
      assert.deepEqual((await r.core.identity.users.get(user.id)).roles, ['admin']);

      const demoted = await call('PATCH', `/api/users/${user.id}`, admin.headers, { system_role: 'user' });
      assert.equal(demoted.json().system_role, 'user');

      const missing = await call('GET', '/api/users/00000000-0000-4000-8000-000000000000', admin.headers);
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(Object.keys(missing.json()), ['detail']);

      assert.equal((await call('DELETE', `/api/users/${user.id}`, admin.headers)).statusCode, 204);
      assert.equal((await call('DELETE', `/api/users/${admin.user.id}`, admin.headers)).statusCode, 400);
    });
  });

  test('no response ever carried a password hash', () => {
    assert.ok(bodies.length > 40);
    for (const body of bodies) assert.doesNotMatch(body, /\$argon2|password_hash/);
  });
});

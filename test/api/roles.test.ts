import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('roles and the permission registry', () => {
  let r: TestRampart;
  let admin: SignedIn;
  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
  });
  after(() => r.cleanup());

  const call = (method: string, url: string, headers: Record<string, string>, payload?: object) =>
    r.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}) });
  const permissionsOf = async (who: SignedIn) => (await call('GET', '/api/v1/auth/me/permissions', who.headers)).json().permissions as string[];

  test('fleet: GET /api/v1/roles lists built-in roles with what each one grants', async () => {
    const res = await call('GET', '/api/v1/roles', admin.headers);
    assert.equal(res.statusCode, 200);
    const byName = new Map(res.json().items.map((role: any) => [role.name, role]));
    for (const name of ['admin', 'security_admin', 'ops_lead', 'auditor', 'operator', 'viewer', 'readonly']) assert.ok(byName.has(name), name);
    const adminRole: any = byName.get('admin');
    assert.deepEqual(adminRole.permissions, ['*']);
    assert.ok(adminRole.effective_permissions.includes('user:delete'));
    const viewer: any = byName.get('viewer');
    assert.ok(viewer.effective_permissions.includes('host:read'));
    assert.ok(!viewer.effective_permissions.includes('user:read'));
    assert.ok(!viewer.effective_permissions.includes('users:read'));
  });

  test('fleet: roles:create validates permissions and names, and the registry lists it', async () => {
    const created = await call('POST', '/api/v1/roles:create', admin.headers, { name: 'scanner', description: 'scans', permissions: ['scan:*', 'host:read'] });
    assert.equal(created.statusCode, 201, created.body);
    assert.deepEqual(created.json().permissions, ['scan:*', 'host:read']);
    assert.ok(created.json().effective_permissions.includes('scan:cancel'));

    const unknown = await call('POST', '/api/v1/roles:create', admin.headers, { name: 'bogus', permissions: ['scan:teleport'] });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.json().error.human_message, /scan:teleport/);
    const badWildcard = await call('POST', '/api/v1/roles:create', admin.headers, { name: 'bogus', permissions: ['spaceship:*'] });
    assert.equal(badWildcard.statusCode, 400);
    assert.equal((await call('POST', '/api/v1/roles:create', admin.headers, { name: 'scanner', permissions: [] })).statusCode, 409);
    assert.equal((await call('POST', '/api/v1/roles:create', admin.headers, { name: 'auditor', permissions: [] })).statusCode, 409);

    const registry = await call('GET', '/api/v1/auth/permissions:registry', admin.headers);
    assert.equal(registry.statusCode, 200);
    const { permissions, roles } = registry.json();
    assert.deepEqual(permissions.find((p: any) => p.name === 'user:read'), { name: 'user:read', description: 'read users', vocabulary: 'fleet' });
    assert.ok(permissions.some((p: any) => p.name === 'rules:write' && p.vocabulary === 'edge'));
    assert.deepEqual(roles.find((role: any) => role.name === 'scanner'), { name: 'scanner', builtin: false, permissions: ['scan:*', 'host:read'] });

    const audit = await r.core.audit.list({ action: 'identity.role.create', result: 'success' }, { limit: 10 });
    assert.equal(audit.items[0].resource_id, created.json().id);
  });

  test('a role cannot grant what its author does not hold', async () => {
    const writer = await signIn(r, { permissions: ['role:write', 'role:read', 'host:read'] });
    const tooMuch = await call('POST', '/api/v1/roles:create', writer.headers, { name: 'grab', permissions: ['*'] });
    assert.equal(tooMuch.statusCode, 403);
    const fine = await call('POST', '/api/v1/roles:create', writer.headers, { name: 'readers', permissions: ['host:read'] });
    assert.equal(fine.statusCode, 201);
  });

  test('edge: custom roles CRUD changes what their holders may do; built-in roles are fixed', async () => {
    const list = await call('GET', '/api/v1/auth/roles', admin.headers);
    assert.ok(Array.isArray(list.json().roles), "AiFw's {roles: [...]}");

    const created = await call('POST', '/api/v1/auth/roles', admin.headers, { name: 'dns-team', permissions: ['dns:read'] });
    assert.equal(created.statusCode, 201, created.body);
    const role = created.json();
    const holder = await signIn(r, { roles: ['dns-team'] });
    assert.deepEqual(await permissionsOf(holder), ['dns:read']);

    const updated = await call('PUT', `/api/v1/auth/roles/${role.id}`, admin.headers, { permissions: ['dns:read', 'dns:write'] });
    assert.equal(updated.statusCode, 200, updated.body);
    assert.deepEqual(await permissionsOf(holder), ['dns:read', 'dns:write'], 'holders see the change at once');

    const builtin = await call('PUT', '/api/v1/auth/roles/viewer', admin.headers, { permissions: ['*'] });
    assert.equal(builtin.statusCode, 400);
    assert.deepEqual(Object.keys(builtin.json()), ['error']);
    assert.equal((await call('DELETE', '/api/v1/auth/roles/admin', admin.headers)).statusCode, 400);

    assert.equal((await call('DELETE', `/api/v1/auth/roles/${role.id}`, admin.headers)).statusCode, 204);
    assert.deepEqual(await permissionsOf(holder), [], 'deleting the role removes its assignments');
    assert.equal((await call('DELETE', `/api/v1/auth/roles/${role.id}`, admin.headers)).statusCode, 404);

    const perms = await call('GET', '/api/v1/auth/permissions', admin.headers);
    assert.ok(perms.json().some((p: any) => p.name === 'users:write' && typeof p.description === 'string'));
    assert.deepEqual(Object.keys(perms.json()[0]).sort(), ['description', 'name']);
  });

  test('an operator may list roles but not define them', async () => {
    const op = await signIn(r, { roles: ['operator'] });
    assert.equal((await call('GET', '/api/v1/auth/roles', op.headers)).statusCode, 200);
    assert.equal((await call('POST', '/api/v1/auth/roles', op.headers, { name: 'x', permissions: [] })).statusCode, 403);
    assert.equal((await call('GET', '/api/v1/roles', op.headers)).statusCode, 403, 'fleet roles need role:read');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IDENTITY_CHANGED } from '../../src/core/identity/identity.types.js';
import { hasPermission } from '../../src/core/principal.js';
import { builtinRoles } from '../../src/core/rbac/builtin-roles.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';

/** Lets events published by earlier calls reach their subscribers. */

describe('roles and permissions', () => {
  let r: TestRampart;
  const changes: unknown[] = [];
  before(async () => {
    r = await createTestRampart();
    r.core.events.subscribe(IDENTITY_CHANGED, (e) => void changes.push(e.payload));
  });
  after(() => r.cleanup());

  const rbac = () => r.core.identity.rbac;
  const can = async (roles: string[], permission: string) =>
    hasPermission({ type: 'user', id: 'x', name: 'x', permissions: await rbac().rolePermissions(roles) }, permission);

  test('every built-in role exists, once, after prepareDatabase (run twice)', async () => {
    await rbac().ensureBuiltinRoles();
    const roles = await rbac().listRoles();
    assert.deepEqual(
      roles.filter((role) => role.builtin).map((role) => role.name),
      builtinRoles.map((b) => b.name),
    );
  });

  test('built-in roles mean what their specs say', async () => {
    assert.equal(await can(['viewer'], 'host:read'), true);
    assert.equal(await can(['viewer'], 'rules:read'), true);
    assert.equal(await can(['viewer'], 'users:read'), false, 'viewer does not see users (edge)');
    assert.equal(await can(['viewer'], 'user:read'), false, 'viewer does not see users (fleet)');
    assert.equal(await can(['viewer'], 'audit:read'), false);
    assert.equal(await can(['viewer'], 'host:write'), false);

    assert.equal(await can(['operator'], 'rules:write'), true);
    assert.equal(await can(['operator'], 'users:write'), false);
    assert.equal(await can(['operator'], 'settings:write'), false);

    const reads = r.core.identity.rbac.registry.list().filter((p) => /:(read|view)$/.test(p.name));
    assert.ok(reads.length > 40);
    for (const p of reads) assert.equal(await can(['readonly'], p.name), true, `readonly has ${p.name}`);
    assert.equal(await can(['readonly'], 'rules:write'), false);

    assert.equal(await can(['auditor'], 'audit:export'), true);
    assert.equal(await can(['auditor'], 'host:write'), false);
    assert.equal(await can(['security_admin'], 'credential:write'), true);
    assert.equal(await can(['security_admin'], 'user:write'), false);

    for (const p of ['user:delete', 'users:write', 'anything:at_all', 'role:assign']) assert.equal(await can(['admin'], p), true);
  });

  test('a module registering a read later joins viewer and readonly, not operator', async () => {
    rbac().registry.register([{ name: 'gizmo:read', description: 'read gizmos', vocabulary: 'probe' }]);
    assert.equal(await can(['viewer'], 'gizmo:read'), true);
    assert.equal(await can(['readonly'], 'gizmo:read'), true);
    assert.equal(await can(['operator'], 'gizmo:read'), false);
    const viewer = await rbac().getRole('viewer');
    assert.ok(viewer.permissions.includes('gizmo:read'));
  });

  test('custom roles: create with registered permissions and wildcards, refuse unknown ones by name', async () => {
    const role = await rbac().createRole({ name: 'net-ops', description: 'network', permissions: ['host:*', 'rules:write', 'rules:write'] });
    assert.deepEqual(role.permissions, ['host:*', 'rules:write']);
    assert.equal(role.builtin, false);
    assert.equal((await rbac().createRole({ name: 'superuser', permissions: ['*'] })).permissions[0], '*');
    await assert.rejects(rbac().createRole({ name: 'bad', permissions: ['host:fly'] }), (err: any) => err.status === 400 && /host:fly/.test(err.message));
    await assert.rejects(rbac().createRole({ name: 'bad', permissions: ['nothing:*'] }), (err: any) => err.status === 400 && /nothing:\*/.test(err.message));
    await assert.rejects(rbac().createRole({ name: 'Bad Name', permissions: [] }), (err: any) => err.status === 400);
    await assert.rejects(rbac().createRole({ name: 'net-ops', permissions: [] }), (err: any) => err.status === 409);
    await assert.rejects(rbac().createRole({ name: 'viewer', permissions: [] }), (err: any) => err.status === 409);
  });

  test('built-in roles cannot be changed or deleted', async () => {
    await assert.rejects(rbac().updateRole('admin', { permissions: [] }), (err: any) => err.status === 400);
    await assert.rejects(rbac().deleteRole('viewer'), (err: any) => err.status === 400);
    await assert.rejects(rbac().getRole('no-such-role'), (err: any) => err.status === 404);
  });

  test('assignments change a user\'s access, by id or name, and are announced', async () => {
    const user = await r.core.identity.users.create({ username: 'rbac-user' });
    const custom = await rbac().createRole({ name: 'dns-admin', permissions: ['dns:read', 'dns:write'] });
    changes.length = 0; // identity events are delivered on commit, before the call that published them returns
    await rbac().assign(user.id, custom.id);
    await rbac().assign(user.id, 'viewer');
    await rbac().assign(user.id, 'viewer'); // idempotent
    let access = await rbac().userAccess(user.id);
    assert.deepEqual(access.roles, ['viewer', 'dns-admin']);
    assert.ok(access.permissions.has('dns:write'));
    assert.ok(access.permissions.has('host:read'));
    assert.deepEqual(changes.at(-1), { user_id: user.id });

    await rbac().unassign(user.id, 'dns-admin');
    access = await rbac().userAccess(user.id);
    assert.deepEqual(access.roles, ['viewer']);
    assert.equal(access.permissions.has('dns:write'), false);

    await rbac().setRoles(user.id, ['operator', custom.name]);
    assert.deepEqual((await rbac().userAccess(user.id)).roles, ['operator', 'dns-admin']);
    await assert.rejects(rbac().assign(user.id, 'ghost'), (err: any) => err.status === 404);
    await assert.rejects(rbac().assign('00000000-0000-4000-8000-000000000000', 'viewer'), (err: any) => err.status === 404);
  });

  test('updating a custom role changes what its holders may do; deleting it removes the assignments', async () => {
    const user = await r.core.identity.users.create({ username: 'rbac-holder' });
    await rbac().createRole({ name: 'vpn-team', permissions: ['vpn:read'] });
    await rbac().assign(user.id, 'vpn-team');
    changes.length = 0; // identity events are delivered on commit, before the call that published them returns
    const updated = await rbac().updateRole('vpn-team', { name: 'vpn-crew', permissions: ['vpn:read', 'vpn:write'], description: 'tunnels' });
    assert.equal(updated.name, 'vpn-crew');
    assert.deepEqual(changes, [{ all: true }]);
    assert.ok((await rbac().userAccess(user.id)).permissions.has('vpn:write'));
    await assert.rejects(rbac().updateRole('vpn-crew', { permissions: ['vpn:teleport'] }), (err: any) => err.status === 400);
    await assert.rejects(rbac().updateRole('vpn-crew', { name: 'admin' }), (err: any) => err.status === 409);

    await rbac().deleteRole('vpn-crew');
    assert.deepEqual((await rbac().userAccess(user.id)).roles, []);
    await assert.rejects(rbac().getRole('vpn-crew'), (err: any) => err.status === 404);
  });
});

describe('built-in role rows', () => {
  test('nodes starting together create each built-in role once', async () => {
    const tdb = await createTestDatabase();
    const r1 = await createTestRampart({ tdb });
    const r2 = await createTestRampart({ tdb });
    try {
      await Promise.all([r1.core.identity.rbac.ensureBuiltinRoles(), r2.core.identity.rbac.ensureBuiltinRoles()]);
      const names = (await r1.core.identity.rbac.listRoles()).map((role) => role.name);
      assert.deepEqual(names, builtinRoles.map((b) => b.name));
    } finally {
      await r1.cleanup();
      await r2.cleanup();
      await tdb.cleanup();
    }
  });
});

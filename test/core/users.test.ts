import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IDENTITY_CHANGED } from '../../src/core/identity/identity.types.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';

const PASSWORD = 'a long enough passphrase';
/** Lets events published by earlier calls reach their subscribers. */

describe('users, passwords and groups', () => {
  let r: TestRampart;
  const changes: unknown[] = [];
  before(async () => {
    r = await createTestRampart();
    r.core.events.subscribe(IDENTITY_CHANGED, (e) => void changes.push(e.payload));
  });
  after(() => r.cleanup());

  const users = () => r.core.identity.users;

  test('a password shorter than the minimum or equal to the username is refused, naming the rule', async () => {
    await assert.rejects(users().create({ username: 'shorty', password: 'short' }), (err: any) => err.status === 400 && /at least 12/.test(err.message));
    await assert.rejects(
      users().create({ username: 'samesame1234', password: 'SameSame1234' }),
      (err: any) => err.status === 400 && /username/.test(err.message),
    );
    assert.equal(await users().findRowByUsername('shorty'), undefined);
  });

  test('the minimum length follows the auth settings at run time', async () => {
    await r.core.identity.settings.update({ password_min_length: 20 });
    try {
      await assert.rejects(users().create({ username: 'policy', password: 'only fifteen ch' }), /at least 20/);
    } finally {
      await r.core.identity.settings.update({ password_min_length: 12 });
    }
  });

  test('passwords are stored as argon2id PHC strings and never shown', async () => {
    const user = await users().create({ username: 'Alice', email: 'alice@example.com', password: PASSWORD });
    assert.equal(user.username, 'alice', 'usernames are lower-cased');
    assert.ok(!JSON.stringify(user).includes('argon2'));
    const row = await users().findRowByUsername('ALICE');
    assert.match(row!.password_hash!, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    assert.equal(await r.core.identity.passwords.verify(row!.password_hash!, PASSWORD), true);
    assert.equal(await r.core.identity.passwords.verify(row!.password_hash!, 'wrong password!!'), false);
    await r.core.identity.passwords.verifyDummy('anything at all');
  });

  test('a taken username is a conflict, whatever its case; bad usernames and emails are refused', async () => {
    await users().create({ username: 'bob', password: PASSWORD });
    await assert.rejects(users().create({ username: 'BOB', password: PASSWORD }), (err: any) => err.status === 409);
    await assert.rejects(users().create({ username: 'bob smith' }), (err: any) => err.status === 400);
    await assert.rejects(users().create({ username: 'x'.repeat(65) }), (err: any) => err.status === 400);
    await assert.rejects(users().create({ username: 'carol', email: 'not-an-email' }), (err: any) => err.status === 400);
  });

  test('roles come back in precedence order, most powerful first', async () => {
    const user = await users().create({ username: 'multi', password: PASSWORD, roles: ['viewer', 'auditor', 'admin'] });
    assert.deepEqual(user.roles, ['admin', 'auditor', 'viewer']);
  });

  test('list pages, searches and filters by status', async () => {
    const page = await users().list({ limit: 2, offset: 0 });
    assert.equal(page.items.length, 2);
    assert.ok(page.total >= 3);
    const found = await users().list({ limit: 50, offset: 0, search: 'ALI' });
    assert.deepEqual(found.items.map((u) => u.username), ['alice']);
    const byEmail = await users().findByEmail('ALICE@example.com');
    assert.equal(byEmail?.username, 'alice');
  });

  test('suspending ends every session and tells the authenticator; reactivating restores the account', async () => {
    const admin = await users().create({ username: 'keeper', password: PASSWORD, roles: ['admin'] });
    const user = await users().create({ username: 'suspendme', password: PASSWORD, roles: ['viewer'] });
    const session = await r.core.identity.sessions.open(user.id, { method: 'password' });
    changes.length = 0; // identity events are delivered on commit, before the call that published them returns
    const suspended = await users().suspend(user.id);
    assert.equal(suspended.status, 'suspended');
    assert.ok((await r.core.identity.sessions.get(session.session_id))?.revoked_at, 'the session is revoked');
    assert.ok(changes.length > 0);
    assert.deepEqual(new Set(changes.map((c: any) => c.user_id)), new Set([user.id]));
    assert.equal((await users().reactivate(user.id)).status, 'active');
    await users().delete(admin.id);
  });

  test('the last active administrator cannot be suspended, deleted or lose the admin role', async () => {
    const admins = (await users().list({ limit: 200, offset: 0 })).items.filter((u) => u.roles.includes('admin') && u.status === 'active');
    const [last, ...others] = admins;
    for (const u of others) await users().update(u.id, { status: 'disabled' });
    const second = await users().create({ username: 'second-admin', roles: ['admin'], status: 'suspended' });
    await assert.rejects(users().suspend(last.id), (err: any) => err.status === 409);
    await assert.rejects(users().update(last.id, { status: 'disabled' }), (err: any) => err.status === 409);
    await assert.rejects(users().delete(last.id), (err: any) => err.status === 409);
    await assert.rejects(r.core.identity.rbac.unassign(last.id, 'admin'), (err: any) => err.status === 409);
    await assert.rejects(r.core.identity.rbac.setRoles(last.id, ['viewer']), (err: any) => err.status === 409);
    const still = await users().get(last.id);
    assert.equal(still.status, 'active');
    assert.ok(still.roles.includes('admin'));

    await users().reactivate(second.id);
    await users().suspend(last.id); // another administrator is active now
    await users().reactivate(last.id);
    await users().delete(second.id);
    for (const u of others) await users().reactivate(u.id);
  });

  test('changing a password needs the current one and ends the other sessions', async () => {
    const user = await users().create({ username: 'changer', password: PASSWORD });
    const keep = await r.core.identity.sessions.open(user.id, { method: 'password' });
    const other = await r.core.identity.sessions.open(user.id, { method: 'password' });
    await assert.rejects(users().changePassword(user.id, 'not the password', 'a brand new passphrase'), (err: any) => err.status === 400 && /current password/.test(err.message));
    await assert.rejects(users().changePassword(user.id, PASSWORD, 'short'), (err: any) => err.status === 400);
    await users().changePassword(user.id, PASSWORD, 'a brand new passphrase', keep.session_id);
    const row = await users().findRowByUsername('changer');
    assert.equal(await r.core.identity.passwords.verify(row!.password_hash!, 'a brand new passphrase'), true);
    assert.equal((await r.core.identity.sessions.get(keep.session_id))?.revoked_at, null);
    assert.ok((await r.core.identity.sessions.get(other.session_id))?.revoked_at);
  });

  test('recordLogin sets last_login_at', async () => {
    const user = await users().create({ username: 'loginner' });
    assert.equal(user.last_login_at, null);
    await users().recordLogin(user.id);
    assert.ok((await users().get(user.id)).last_login_at);
  });

  test('groups: unique names, members must exist, membership follows deletes', async () => {
    const groups = r.core.identity.groups;
    const a = await users().create({ username: 'member-a' });
    const b = await users().create({ username: 'member-b' });
    const group = await groups.create({ name: 'engineers', description: 'builders', member_ids: [a.id] });
    assert.deepEqual(group.member_ids, [a.id]);
    await assert.rejects(groups.create({ name: 'engineers' }), (err: any) => err.status === 409);
    await assert.rejects(groups.update(group.id, { member_ids: [a.id, '00000000-0000-4000-8000-000000000000'] }), (err: any) => err.status === 400);
    const updated = await groups.update(group.id, { member_ids: [a.id, b.id], description: null });
    assert.deepEqual(new Set(updated.member_ids), new Set([a.id, b.id]));
    assert.equal(updated.description, null);
    assert.deepEqual((await groups.groupsOf(b.id)).map((g) => g.name), ['engineers']);
    await users().delete(b.id);
    assert.deepEqual((await groups.get(group.id)).member_ids, [a.id]);
    await groups.delete(group.id);
    await assert.rejects(groups.get(group.id), (err: any) => err.status === 404);
  });
});

describe('first administrator', () => {
  test('is created once, with its password in a 0600 file; a second start creates nothing', async () => {
    const tdb = await createTestDatabase();
    const r1 = await createTestRampart({ tdb });
    const r2 = await createTestRampart({ tdb });
    try {
      const [one, two] = await Promise.all([r1.core.identity.bootstrap(), r2.core.identity.bootstrap()]);
      const created = one ?? two;
      assert.ok(created, 'one of two nodes starting together creates the administrator');
      assert.equal(one && two, null, 'only one of them does');
      assert.equal(created.username, 'admin');
      assert.equal(created.password.length, 24);
      assert.equal(created.file, join(tdb.dataDir, 'initial-admin-password'));
      assert.equal(statSync(created.file).mode & 0o777, 0o600);
      const content = readFileSync(created.file, 'utf8');
      assert.ok(content.startsWith(`${created.password}\n`));
      assert.match(content, /delete this file/i);

      const admin = await r1.core.identity.users.get((await r1.core.identity.users.findRowByUsername('admin'))!.id);
      assert.deepEqual(admin.roles, ['admin']);
      assert.equal(admin.email, null);
      const row = await r1.core.identity.users.findRowByUsername('admin');
      assert.equal(await r1.core.identity.passwords.verify(row!.password_hash!, created.password), true);
      assert.equal(await r1.core.identity.bootstrap(), null);
    } finally {
      await r1.cleanup();
      await r2.cleanup();
      await tdb.cleanup();
    }
    assert.equal(existsSync(tdb.dataDir), false);
  });
});

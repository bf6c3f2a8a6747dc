import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('auth settings and registration over HTTP (edge)', () => {
  let r: TestRampart;
  let admin: SignedIn;

  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { permissions: ['settings:read', 'settings:write'] });
  });
  after(() => r.cleanup());

  const getSettings = (headers = admin.headers) => r.app.inject({ method: 'GET', url: '/api/v1/auth/settings', headers });
  const putSettings = (payload: Record<string, unknown>, headers = admin.headers) => r.app.inject({ method: 'PUT', url: '/api/v1/auth/settings', headers, payload });
  const register = (payload: Record<string, unknown>) => r.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload });
  const login = (username: string, password: string) => r.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });

  test('reading needs settings:read, changing settings:write', async () => {
    const viewer = await signIn(r, { roles: ['viewer'] });
    assert.equal((await getSettings(viewer.headers)).statusCode, 403);
    assert.equal((await putSettings({ lockout_minutes: 20 }, viewer.headers)).statusCode, 403);
    const res = await getSettings();
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().registration_enabled, false);
    assert.equal(res.json().lockout_threshold, 5);
  });

  test('bad values are 400 and change nothing', async () => {
    const before = (await getSettings()).json();
    for (const payload of [
      { lockout_threshold: -1 },
      { lockout_minutes: 0 },
      { password_min_length: 4 },
      { access_token_ttl_s: 10 },
      { session_ttl_s: 'long' },
      { registration_enabled: 'yes' },
      { registration_role: 'no-such-role' },
      { unknown_setting: true },
      { lockout_minutes: 30, refresh_token_ttl_s: 1 },
    ]) {
      const res = await putSettings(payload);
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.equal(typeof res.json().error, 'string');
    }
    assert.deepEqual((await getSettings()).json(), before);
  });

  test('a lower lockout_threshold takes effect on the next logins', async () => {
    const control = await signIn(r);
    assert.equal((await login(control.user.username, 'wrong password 1')).statusCode, 401);
    assert.equal((await login(control.user.username, 'wrong password 2')).statusCode, 401, 'the default threshold (5) is not reached');

    const res = await putSettings({ lockout_threshold: 2 });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().lockout_threshold, 2);
    assert.equal(res.json().lockout_minutes, 15, 'other settings keep their values');

    const target = await signIn(r);
    assert.equal((await login(target.user.username, 'wrong password 1')).statusCode, 401);
    assert.equal((await login(target.user.username, 'wrong password 2')).statusCode, 429);
    assert.equal((await login(target.user.username, target.password)).statusCode, 429, 'locked even with the right password');
    await putSettings({ lockout_threshold: 5 });
  });

  test('registration is refused while disabled', async () => {
    const res = await register({ username: 'newcomer', password: 'a long enough password' });
    assert.equal(res.statusCode, 403);
    assert.deepEqual(res.json(), { error: 'registration is disabled' });
    assert.equal(await r.core.identity.users.findRowByUsername('newcomer'), undefined);
  });

  test('enabled, it creates an active user with the registration role, who can log in', async () => {
    assert.equal((await putSettings({ registration_enabled: true, registration_role: 'operator' })).statusCode, 200);
    const res = await register({ username: 'newcomer', password: 'a long enough password', email: 'new@example.com' });
    assert.equal(res.statusCode, 201);
    const user = res.json();
    assert.equal(user.username, 'newcomer');
    assert.equal(user.email, 'new@example.com');
    assert.equal(user.status, 'active');
    assert.deepEqual(user.roles, ['operator']);
    assert.ok(!/password|hash|argon/i.test(JSON.stringify(Object.keys(user))));
    assert.equal((await login('newcomer', 'a long enough password')).statusCode, 200);

    assert.equal((await register({ username: 'newcomer', password: 'a long enough password' })).statusCode, 409);
    assert.equal((await register({ username: 'shorty', password: 'short' })).statusCode, 400);
    const audit = await r.core.audit.list({ action: 'identity.user.register', resourceId: user.id }, { limit: 5, offset: 0 });
    assert.equal(audit.items.length, 1);
    assert.ok(!JSON.stringify(audit.items).includes('a long enough password'));
  });

  test('a registration role deleted since is a clear 409, not a 500', async () => {
    const role = await r.core.identity.rbac.createRole({ name: 'self-registered', permissions: ['dashboard:view'] });
    assert.equal((await putSettings({ registration_enabled: true, registration_role: role.name })).statusCode, 200);
    await r.core.identity.rbac.deleteRole(role.name);
    const res = await register({ username: 'latecomer', password: 'a long enough password' });
    assert.equal(res.statusCode, 409);
    assert.match(res.json().error, /registration role self-registered does not exist/);
    await putSettings({ registration_enabled: false, registration_role: 'viewer' });
  });

  test('changes are audited with what changed', async () => {
    await putSettings({ lockout_minutes: 20 });
    const audit = await r.core.audit.list({ action: 'identity.settings.update' }, { limit: 1, offset: 0 });
    assert.equal(audit.items[0]?.actor_id, admin.user.id);
    assert.deepEqual(audit.items[0]?.details.changes, { lockout_minutes: 20 });
  });
});

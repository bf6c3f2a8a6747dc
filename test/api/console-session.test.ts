import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { DEFAULT_PASSWORD, signIn } from '../helpers/identity.js';

/** What the console's cookie session relies on: CSRF protection of cookie writes, and the must-change-password flag. */
describe('the browser session: CSRF and first-login password change', () => {
  let r: TestRampart;
  let adminPassword: string;
  before(async () => {
    r = await createTestRampart({ overrides: { 'auth.login_rate_limit_per_minute': 10_000 } });
    // First start: the administrator is made before anyone else exists.
    adminPassword = (await r.core.identity.bootstrap())!.password;
  });
  after(() => r.cleanup());

  /** Signs in through the login route, as the console does, and returns the cookies it set. */
  async function browserLogin(username: string, password: string) {
    const res = await r.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
    assert.equal(res.statusCode, 200, res.body);
    const set = [res.headers['set-cookie']].flat() as string[];
    const value = (name: string) => set.find((c) => c.startsWith(`${name}=`))!.split(';')[0].slice(name.length + 1);
    const csrfCookie = set.find((c) => c.startsWith('rampart_csrf='))!;
    return { session: value('rampart_session'), csrf: value('rampart_csrf'), csrfCookie, token: res.json().access_token as string };
  }

  test('login sets a readable CSRF cookie beside the HttpOnly session cookie', async () => {
    const { user } = await signIn(r, { roles: ['admin'] });
    const { csrf, csrfCookie } = await browserLogin(user.username, DEFAULT_PASSWORD);
    assert.ok(csrf.length >= 40);
    assert.doesNotMatch(csrfCookie, /HttpOnly/i);
    assert.match(csrfCookie, /SameSite=Strict/i);
  });

  test('a write the session cookie authenticates needs the token; forged ones change nothing', async () => {
    const { user } = await signIn(r, { roles: ['admin'] });
    const { session, csrf } = await browserLogin(user.username, DEFAULT_PASSWORD);
    const cookies = { rampart_session: session, rampart_csrf: csrf };
    const create = (name: string, headers: Record<string, string>) =>
      r.app.inject({ method: 'POST', url: '/api/v1/service-accounts', cookies, headers, payload: { name, role: 'readonly' } });
    const refusals = [
      await create('no-header', {}),
      await create('wrong-header', { 'x-csrf-token': 'x'.repeat(csrf.length) }),
      await create('other-site', { 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' }),
      await create('other-origin', { 'x-csrf-token': csrf, origin: 'https://evil.example' }),
    ];
    for (const res of refusals) {
      assert.equal(res.statusCode, 403, res.body);
      assert.match(res.json().error, /^cross-site request refused/); // the egress envelope: {error: message}
    }
    const accepted = await create('console', { 'x-csrf-token': csrf, 'sec-fetch-site': 'same-origin', origin: 'http://localhost:80' });
    assert.equal(accepted.statusCode, 200, accepted.body);
    const names = (await r.app.inject({ method: 'GET', url: '/api/v1/service-accounts', cookies })).json().map((a: any) => a.name);
    assert.deepEqual(names, ['console']);
  });

  test('bearer tokens and API keys are unaffected: they are not ambient credentials', async () => {
    const { headers } = await signIn(r, { roles: ['admin'] });
    const res = await r.app.inject({ method: 'POST', url: '/api/v1/service-accounts', headers: { ...headers, 'sec-fetch-site': 'cross-site' }, payload: { name: 'by-bearer', role: 'readonly' } });
    assert.equal(res.statusCode, 200, res.body);
  });

  test('a cookie session from before the console gets its CSRF cookie on the next read', async () => {
    const { user } = await signIn(r, { roles: ['admin'] });
    const { session } = await browserLogin(user.username, DEFAULT_PASSWORD);
    const res = await r.app.inject({ method: 'GET', url: '/api/v1/auth/me', cookies: { rampart_session: session } });
    assert.equal(res.statusCode, 200);
    assert.ok([res.headers['set-cookie']].flat().some((c) => c?.startsWith('rampart_csrf=')));
  });

  test('the first administrator, and a user whose password an admin reset, must change it; their own change clears that', async () => {
    const admin = await browserLogin('admin', adminPassword);
    const me = async (token: string) => (await r.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } })).json();
    assert.equal((await me(admin.token)).must_change_password, true);
    const changed = await r.app.inject({
      method: 'POST', url: '/api/v1/auth/password:change', headers: { authorization: `Bearer ${admin.token}` },
      payload: { current_password: adminPassword, new_password: 'the admin chose this one' },
    });
    assert.equal(changed.statusCode, 204, changed.body);
    assert.equal((await me(admin.token)).must_change_password, false);

    const { user, headers } = await signIn(r);
    assert.equal((await me(headers.authorization.slice(7))).must_change_password, false);
    const reset = await r.app.inject({ method: 'POST', url: '/v1/admin/users/password', headers: { authorization: `Bearer ${admin.token}` }, payload: { user_id: user.id, password: 'an admin picked this' } });
    assert.equal(reset.statusCode, 204, reset.body);
    const again = await browserLogin(user.username, 'an admin picked this');
    assert.equal((await me(again.token)).must_change_password, true);
  });
});

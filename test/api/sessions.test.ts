import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { onPostgres } from '../helpers/db.js';
import { DEFAULT_PASSWORD, signIn } from '../helpers/identity.js';
import { waitFor } from '../helpers/wait.js';

describe('sessions, tokens and cookies', () => {
  let r: TestRampart;
  let clock = new Date('2026-06-10T12:00:00Z');
  const nowS = () => Math.floor(clock.getTime() / 1000);

  before(async () => {
    r = await createTestRampart({ now: () => clock, overrides: { 'auth.login_rate_limit_per_minute': 10_000 } });
  });
  after(() => r.cleanup());

  /** Every response body of this suite, to prove that none carries a hash. */
  const bodies: string[] = [];
  const call = async (opts: InjectOptions) => {
    const res = await r.app.inject(opts);
    bodies.push(res.body);
    return res;
  };
  const me = (headers: Record<string, string> = {}, cookies?: Record<string, string>) => call({ method: 'GET', url: '/api/v1/auth/me', headers, cookies });
  const auditActions = async (action: string) => (await r.core.audit.list({ action }, { limit: 200 })).items;

  test('me answers the calling identity; me/permissions expands wildcard grants', async () => {
    const { user, headers } = await signIn(r, { permissions: ['user:*'] });
    const res = await me(headers);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.id, user.id);
    assert.equal(body.username, user.username);
    assert.equal(body.type, 'user');
    assert.equal(body.role, user.roles[0]);
    assert.deepEqual(body.permissions, ['user:*']);

    const perms = (await call({ method: 'GET', url: '/api/v1/auth/me/permissions', headers })).json().permissions;
    assert.ok(perms.includes('user:read') && perms.includes('user:write') && perms.includes('user:delete'), perms.join());
    assert.ok(!perms.includes('role:read'));
    assert.ok(perms.every((p: string) => !p.includes('*')));
  });

  test('a role granted or taken away shows at once, though the principal is cached', async () => {
    const { user, headers } = await signIn(r);
    assert.deepEqual((await me(headers)).json().roles, []);
    await r.core.identity.rbac.assign(user.id, 'auditor');
    assert.deepEqual((await me(headers)).json().roles, ['auditor']);
    await r.core.identity.rbac.unassign(user.id, 'auditor');
    assert.deepEqual((await me(headers)).json().roles, []);
  });

  test("a suspended user's token is refused at once", async () => {
    const { user, headers } = await signIn(r);
    assert.equal((await me(headers)).statusCode, 200);
    await r.core.identity.users.suspend(user.id);
    assert.equal((await me(headers)).statusCode, 401);
    await r.core.identity.users.reactivate(user.id);
    assert.equal((await me(headers)).statusCode, 401, 'suspending ended the session for good');
  });

  test('logout revokes the session: its access token then gets 401, and the cookie is cleared', async () => {
    const { headers, sessionId } = await signIn(r);
    assert.equal((await me(headers)).statusCode, 200);
    const out = await call({ method: 'POST', url: '/api/v1/auth/logout', headers });
    assert.equal(out.statusCode, 204);
    assert.equal(out.body, '');
    const cleared = out.cookies.find((c) => c.name === 'rampart_session');
    assert.ok(cleared && (cleared.maxAge === 0 || (cleared.expires && cleared.expires.getTime() <= Date.now())), 'the cookie is cleared');
    assert.equal((await me(headers)).statusCode, 401);
    assert.ok((await r.core.identity.sessions.get(sessionId))?.revoked_at);
    assert.ok((await auditActions('identity.logout')).some((a) => a.resource_id === sessionId));
  });

  test('logout without a credential, or with a dead one, is still 204 and clears the egress cookie', async () => {
    assert.equal((await call({ method: 'POST', url: '/api/v1/auth/logout' })).statusCode, 204);
    const res = await call({ method: 'POST', url: '/api/v1/auth/logout', cookies: { neuwerk_auth: 'stale.jwt.value' } });
    assert.equal(res.statusCode, 204);
    assert.ok(res.cookies.some((c) => c.name === 'neuwerk_auth' && c.value === ''));
  });

  test('the session cookie is accepted under each name the specs use', async () => {
    const { user, sessionId } = await signIn(r);
    const { token } = await r.core.identity.sessions.cookieToken(sessionId);
    for (const name of ['rampart_session', 'openwatch_session', 'neuwerk_auth']) {
      const res = await me({}, { [name]: token });
      assert.equal(res.statusCode, 200, name);
      assert.equal(res.json().id, user.id);
    }
  });

  test('malformed or unknown credentials are 401; none at all is 401 on a protected route', async () => {
    for (const authorization of ['Bearer', 'Bearer a b', 'Basic dXNlcjpwYXNz', 'Bearer not-a-jwt', 'ApiKey nope']) {
      assert.equal((await me({ authorization })).statusCode, 401, authorization);
    }
    assert.equal((await me()).statusCode, 401);
  });

  test("a token of the rotated-out ('verifying') key works; once its key is retired it does not", async () => {
    const { headers } = await signIn(r);
    const old = (await r.core.identity.keyset.list()).find((k) => k.status === 'active')!;
    await r.core.identity.keyset.rotate();
    assert.equal((await me(headers)).statusCode, 200);
    const fresh = await signIn(r);
    assert.equal((await me(fresh.headers)).statusCode, 200);
    await r.core.identity.keyset.retire(old.kid);
    assert.equal((await me(headers)).statusCode, 401);
    assert.equal((await me(fresh.headers)).statusCode, 200);
  });

  test('token-login exchanges a bearer token for the neuwerk_auth cookie; whoami answers alike by cookie and bearer', async () => {
    const { user, token, headers } = await signIn(r, { roles: ['admin'] });
    const res = await call({ method: 'POST', url: '/api/v1/auth/token-login', payload: { token: `Bearer ${token}` } });
    assert.equal(res.statusCode, 200, res.body);
    const identity: Record<string, unknown> = res.json();
    assert.deepEqual(identity, { sub: user.username, sa_id: null, exp: nowS() + 900, roles: ['admin'] });
    const cookie = res.cookies.find((c) => c.name === 'neuwerk_auth');
    assert.ok(cookie);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.notEqual(cookie.value, token, 'a session JWT of its own, not the access token');

    const byCookie = await call({ method: 'GET', url: '/api/v1/auth/whoami', cookies: { neuwerk_auth: cookie.value } });
    assert.equal(byCookie.statusCode, 200);
    const cookieIdentity: Record<string, unknown> = byCookie.json();
    assert.deepEqual({ ...cookieIdentity, exp: null }, { ...identity, exp: null }, 'the same identity (the cookie lives longer)');
    const byBearer = await call({ method: 'GET', url: '/api/v1/auth/whoami', headers });
    assert.deepEqual(byBearer.json(), identity);

    const bare = await call({ method: 'POST', url: '/api/v1/auth/token-login', payload: { token } });
    assert.equal(bare.statusCode, 200, 'the "Bearer " prefix is optional');
  });

  test('token-login with a bad token is 401 in the egress envelope; whoami needs a credential', async () => {
    const bad = await call({ method: 'POST', url: '/api/v1/auth/token-login', payload: { token: 'Bearer eyJhbGciOiJFZERTQSJ9.e30.AAAA' } });
    assert.equal(bad.statusCode, 401);
    assert.deepEqual(Object.keys(bad.json()), ['error']);
    assert.equal(typeof bad.json().error, 'string');
    assert.equal(bad.cookies.length, 0);
    const anonymous = await call({ method: 'GET', url: '/api/v1/auth/whoami' });
    assert.equal(anonymous.statusCode, 401);
    assert.deepEqual(Object.keys(anonymous.json()), ['error']);
  });

  test('a service-account token logs in to egress with its sa_id and role', async () => {
    const admin = await signIn(r, { roles: ['admin'] });
    const actor = { type: 'user' as const, id: admin.user.id, name: admin.user.username };
    const account = await r.core.identity.serviceAccounts.create({ name: `ci-${admin.user.id.slice(0, 6)}`, role: 'readonly' }, actor);
    const { token } = await r.core.identity.serviceAccounts.mintToken(account.id, { ttl: '1h' }, actor);
    const res = await call({ method: 'POST', url: '/api/v1/auth/token-login', payload: { token: `Bearer ${token}` } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { sub: account.name, sa_id: account.id, exp: nowS() + 3600, roles: ['readonly'] });
    const cookie = res.cookies.find((c) => c.name === 'neuwerk_auth')!;
    assert.equal(cookie.maxAge, 3600);
    const whoami = await call({ method: 'GET', url: '/api/v1/auth/whoami', cookies: { neuwerk_auth: cookie.value } });
    assert.equal(whoami.json().sa_id, account.id);
  });

  describe('session lists', () => {
    test('I list my live sessions and revoke one of them; the current one is marked', async () => {
      const first = await signIn(r);
      const second = await r.core.identity.sessions.open(first.user.id, { method: 'password' });
      const list = await call({ method: 'GET', url: '/api/v1/auth/sessions', headers: first.headers });
      assert.equal(list.statusCode, 200);
      const items = list.json().items;
      assert.deepEqual(items.map((s: { id: string }) => s.id).sort(), [first.sessionId, second.session_id].sort());
      assert.equal(items.find((s: { id: string }) => s.id === first.sessionId).current, true);
      assert.equal(items.find((s: { id: string }) => s.id === second.session_id).current, false);

      const del = await call({ method: 'DELETE', url: `/api/v1/auth/sessions/${second.session_id}`, headers: first.headers });
      assert.equal(del.statusCode, 204);
      assert.equal((await me({ authorization: `Bearer ${second.access_token}` })).statusCode, 401);
      assert.equal((await me(first.headers)).statusCode, 200);
      assert.ok((await auditActions('identity.session.revoke')).some((a) => a.resource_id === second.session_id));
    });

    test("someone else's session is 404 to me, and stays alive", async () => {
      const me1 = await signIn(r);
      const other = await signIn(r);
      const del = await call({ method: 'DELETE', url: `/api/v1/auth/sessions/${other.sessionId}`, headers: me1.headers });
      assert.equal(del.statusCode, 404);
      assert.equal((await me(other.headers)).statusCode, 200);
    });

    test('an administrator lists and ends every session of a user; others get 403', async () => {
      const admin = await signIn(r, { permissions: ['session:read', 'session:revoke'] });
      const target = await signIn(r);
      await r.core.identity.sessions.open(target.user.id, { method: 'password' });
      const nosy = await signIn(r, { permissions: ['user:read'] });

      const url = `/api/v1/users/${target.user.id}/sessions`;
      const list = await call({ method: 'GET', url, headers: admin.headers });
      assert.equal(list.statusCode, 200);
      assert.equal(list.json().items.length, 2);
      assert.equal((await call({ method: 'GET', url, headers: nosy.headers })).statusCode, 403);
      assert.equal((await call({ method: 'DELETE', url, headers: nosy.headers })).statusCode, 403);
      assert.equal((await call({ method: 'GET', url })).statusCode, 401);

      assert.equal((await call({ method: 'DELETE', url, headers: admin.headers })).statusCode, 204);
      assert.equal((await me(target.headers)).statusCode, 401);
      assert.equal((await call({ method: 'GET', url, headers: admin.headers })).json().items.length, 0);
      const [row] = (await auditActions('identity.session.revoke_all')).filter((a) => a.resource_id === target.user.id);
      assert.equal(row.details.revoked, 2);

      const missing = await call({ method: 'GET', url: '/api/v1/users/6f1c1f7e-0000-4000-8000-000000000000/sessions', headers: admin.headers });
      assert.equal(missing.statusCode, 404);
    });
  });

  test('password:change needs the current password and ends my other sessions, not this one', async () => {
    const { user, headers } = await signIn(r);
    const other = await r.core.identity.sessions.open(user.id, { method: 'password' });
    const change = (body: Record<string, string>) => call({ method: 'POST', url: '/api/v1/auth/password:change', headers, payload: body });
    const wrong = await change({ current_password: 'not my password at all', new_password: 'a brand new passphrase' });
    assert.equal(wrong.statusCode, 400);
    assert.equal((await me({ authorization: `Bearer ${other.access_token}` })).statusCode, 200);

    const ok = await change({ current_password: DEFAULT_PASSWORD, new_password: 'a brand new passphrase' });
    assert.equal(ok.statusCode, 204, ok.body);
    assert.equal((await me(headers)).statusCode, 200);
    assert.equal((await me({ authorization: `Bearer ${other.access_token}` })).statusCode, 401);
    const login = await call({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: 'a brand new passphrase' } });
    assert.equal(login.statusCode, 200);
  });

  test('no response of this suite carried a password hash, a token hash or a private key', () => {
    const all = bodies.join('\n');
    assert.ok(bodies.length > 50);
    assert.doesNotMatch(all, /\$argon2|token_hash|password_hash|secret_hash|private_key|PRIVATE KEY/);
  });
});

describe('across nodes', () => {
  test("a user suspended on one node is refused on another as soon as the change reaches it", { skip: !onPostgres && 'needs PostgreSQL (set RAMPART_TEST_DATABASE_URL)' }, async () => {
    const a = await createTestRampart();
    const b = await createTestRampart({ tdb: a.tdb });
    try {
      const { user, headers } = await signIn(a);
      const me = () => b.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers });
      assert.equal((await me()).statusCode, 200, 'node b has the principal cached now');
      await a.core.identity.users.suspend(user.id);
      // The change travels by LISTEN/NOTIFY; without it, node b would serve its cached principal for 30 s.
      await waitFor('node b to refuse the suspended user', async () => (await me()).statusCode !== 200, 30_000);
      assert.equal((await me()).statusCode, 401);
    } finally {
      await b.cleanup();
      await a.cleanup();
    }
  });
});

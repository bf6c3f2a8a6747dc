import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { verifyReauthToken } from '../../src/core/identity/sso/reauth.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { onPostgres } from '../helpers/db.js';
import { signIn } from '../helpers/identity.js';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';

/** Rampart as the browser reaches it; the IdP's client registration names these URLs. */
const HOST = 'rampart.test';
const ORIGIN = `https://${HOST}`;

const ACCOUNTS = {
  alice: { email: 'alice@example.com', email_verified: true, groups: ['net-admins'], preferred_username: 'alice', name: 'Alice' },
  bob: { email: 'bob@example.com', email_verified: true, groups: ['staff'], preferred_username: 'bob' },
  carol: { email: 'carol@example.com', email_verified: true, groups: ['visitors'], preferred_username: 'carol' },
  eve: { email: 'eve@evil.example', email_verified: true, groups: ['net-admins'], preferred_username: 'eve' },
  dave: { email: 'dave@example.com', email_verified: true, groups: ['staff'], preferred_username: 'dave' },
  erin: { email: 'erin@example.com', email_verified: true, groups: ['staff'], preferred_username: 'erin' },
  // Another person whose IdP username is taken in Rampart already.
  'alice-two': { email: 'alice.two@example.com', email_verified: true, groups: ['staff'], preferred_username: 'alice' },
  // Addresses of accounts that exist in Rampart before their first SSO login: one verified, one the IdP says nothing about.
  frank: { email: 'frank@example.com', email_verified: true, groups: ['staff'], preferred_username: 'frank-sso' },
  mallory: { email: 'grace@example.com', groups: ['staff'], preferred_username: 'mallory' },
};

const cookieOf = (res: LightMyRequestResponse, name: string) => (res.cookies as Array<{ name: string; value: string }>).find((c) => c.name === name);
const pathOf = (url: string) => url.slice(ORIGIN.length);

describe('SSO end to end against a real OIDC provider', () => {
  let r: TestRampart;
  let idp: TestIdp;
  let providerId: string;
  let admin: Awaited<ReturnType<typeof signIn>>;
  const clientSecret = `idp-secret-${randomBytes(12).toString('hex')}`;
  /** Every response Rampart gave in these tests, searched for the client secret at the end. */
  const seen: string[] = [];

  async function call(opts: InjectOptions): Promise<LightMyRequestResponse> {
    const res = await r.app.inject({ ...opts, headers: { host: HOST, ...opts.headers } });
    seen.push(JSON.stringify(res.headers), res.body);
    return res;
  }

  /** Start at Rampart, log in at the IdP as `account`, and come back to Rampart's callback with the state cookie. */
  async function ssoLogin(account: string, start = `/api/v1/auth/sso/${providerId}/start`, cookie = 'neuwerk_sso', query = '') {
    const started = await call({ method: 'GET', url: start });
    assert.equal(started.statusCode, 302, started.body);
    const state = cookieOf(started, cookie);
    assert.ok(state, `the start sets ${cookie}`);
    const back = await idp.login(started.headers.location as string, account, ORIGIN);
    return call({ method: 'GET', url: pathOf(back) + query, headers: { cookie: `${cookie}=${state.value}` } });
  }

  const userCount = async () => (await r.core.identity.users.list({ limit: 1, offset: 0 })).total;

  before(async () => {
    // Many logins from one address in a minute: the per-IP login limit is not what these tests are about.
    r = await createTestRampart({ overrides: { 'auth.login_rate_limit_per_minute': 1000 } });
    admin = await signIn(r, { roles: ['admin'] });
    idp = await startTestIdp(ACCOUNTS, clientSecret);
    const created = await call({
      method: 'POST',
      url: '/api/v1/settings/sso/providers',
      headers: admin.headers,
      // Neuwerk's field names: issuer, admin_groups, readonly_groups.
      payload: {
        name: 'corp',
        kind: 'oidc',
        issuer: idp.issuer,
        client_id: idp.clientId,
        client_secret: clientSecret,
        scopes: ['openid', 'email', 'profile', 'groups'],
        admin_groups: ['net-admins'],
        readonly_groups: ['staff'],
        allowed_email_domains: ['example.com'],
        is_default: true,
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    providerId = created.json().id;
    await idp.configure([
      `${ORIGIN}/api/v1/auth/sso/${providerId}/callback`,
      `${ORIGIN}/api/v1/auth/oauth/corp/callback`,
      `${ORIGIN}/api/auth/callback`,
      `${ORIGIN}/api/auth/reauth/callback`,
    ]);
  });
  after(async () => {
    await idp?.close();
    await r?.cleanup();
  });

  test('the provider is stored with sanitized views: mappings from the Neuwerk fields, the secret only as configured', async () => {
    const got = await call({ method: 'GET', url: `/api/v1/settings/sso/providers/${providerId}`, headers: admin.headers });
    assert.equal(got.statusCode, 200, got.body);
    const view = got.json();
    assert.equal(view.client_secret_configured, true);
    assert.equal('client_secret' in view, false);
    assert.deepEqual(view.role_mappings, [
      { role: 'admin', subjects: [], groups: ['net-admins'], email_domains: [] },
      { role: 'readonly', subjects: [], groups: ['staff'], email_domains: [] },
    ]);
    assert.deepEqual(view.admin_groups, ['net-admins']);
    assert.equal(view.session_ttl_s, 8 * 3600);
    assert.equal(view.session_ttl_secs, 8 * 3600, "Neuwerk's name");
    assert.equal(view.display_order, 0);
    assert.equal(view.kind, 'generic-oidc', "Neuwerk's name for an OIDC provider");
    assert.equal(view.pkce_required, true);

    const listed = await call({ method: 'GET', url: '/api/v1/auth/sso/providers' });
    assert.deepEqual(listed.json(), [{ id: providerId, name: 'corp', kind: 'generic-oidc' }]);
    // The edge surface keeps Rampart's name.
    const edge = await call({ method: 'GET', url: '/api/v1/auth/oauth/providers', headers: admin.headers });
    assert.equal(edge.json()[0].kind, 'oidc');

    const tested = await call({ method: 'POST', url: `/api/v1/settings/sso/providers/${providerId}/test`, headers: admin.headers });
    assert.equal(tested.statusCode, 200, tested.body);
    assert.deepEqual(tested.json(), { ok: true, detail: 'discovery document fetched', issuer: idp.issuer });
    const audit = await r.core.audit.list({ action: 'identity.sso_provider.test', resourceId: providerId }, { limit: 5 });
    assert.equal(audit.items.length, 1);
  });

  test("Neuwerk's provider fields: kind generic-oidc, display_order orders the login screen, session_ttl_secs validated", async () => {
    const post = (payload: object) => call({ method: 'POST', url: '/api/v1/settings/sso/providers', headers: admin.headers, payload });
    const base = { issuer: 'https://idp.example.com', client_id: 'x', client_secret: 'y' };
    const first = await post({ ...base, name: 'zeta-first', kind: 'generic-oidc', display_order: -5, session_ttl_secs: 600 });
    assert.equal(first.statusCode, 201, first.body);
    assert.deepEqual([first.json().kind, first.json().display_order, first.json().session_ttl_secs], ['generic-oidc', -5, 600]);
    const last = await post({ ...base, name: 'alpha-last', kind: 'oidc', display_order: 10 });
    assert.equal(last.statusCode, 201, last.body);
    const hidden = await post({ ...base, name: 'off', display_order: -100, enabled: false });
    assert.equal(hidden.statusCode, 201, hidden.body);
    const names = async () => (await call({ method: 'GET', url: '/api/v1/auth/sso/providers' })).json().map((p: { name: string }) => p.name);
    assert.deepEqual(await names(), ['zeta-first', 'corp', 'alpha-last'], 'by display_order, then name; disabled ones hidden');

    for (const [payload, message] of [
      [{ display_order: 1.5 }, /display_order/], [{ display_order: 2 ** 31 }, /display_order/], [{ session_ttl_secs: 0 }, /session_ttl/],
      [{ session_ttl_secs: 31 * 86_400 }, /session_ttl/], [{ kind: 'saml' }, /kind/],
    ] as const) {
      const bad = await call({ method: 'PUT', url: `/api/v1/settings/sso/providers/${last.json().id}`, headers: admin.headers, payload });
      assert.equal(bad.statusCode, 400, `${JSON.stringify(payload)}: ${bad.body}`);
      assert.match(bad.json().error, message);
    }
    const moved = await call({ method: 'PUT', url: `/api/v1/settings/sso/providers/${last.json().id}`, headers: admin.headers, payload: { display_order: -10 } });
    assert.equal(moved.statusCode, 200, moved.body);
    assert.deepEqual(await names(), ['alpha-last', 'zeta-first', 'corp']);
    for (const p of [first, last, hidden]) await call({ method: 'DELETE', url: `/api/v1/settings/sso/providers/${p.json().id}`, headers: admin.headers });
  });

  test("a login through a provider opens a session of the provider's session_ttl_secs", async () => {
    const set = (ttl: number) => call({ method: 'PUT', url: `/api/v1/settings/sso/providers/${providerId}`, headers: admin.headers, payload: { session_ttl_secs: ttl } });
    assert.equal((await set(600)).statusCode, 200);
    try {
      const done = await ssoLogin('erin');
      assert.equal(done.statusCode, 302, done.body);
      const cookie = (done.cookies as Array<{ name: string; maxAge?: number }>).find((c) => c.name === 'neuwerk_auth');
      assert.ok(cookie?.maxAge && cookie.maxAge <= 600 && cookie.maxAge > 590, `cookie max-age ${cookie?.maxAge}`);
      const erin = (await r.core.identity.users.findByEmail('erin@example.com'))!;
      const [session] = (await r.core.identity.sessions.list(erin.id)).sort((a, b) => b.created_at.localeCompare(a.created_at));
      const lifetime = (Date.parse(session.expires_at) - Date.parse(session.created_at)) / 1000;
      assert.ok(Math.abs(lifetime - 600) < 2, `session lifetime ${lifetime} s`);
    } finally {
      assert.equal((await set(8 * 3600)).statusCode, 200);
    }
  });

  test('invalid provider settings are refused: plain http to a remote host, unknown roles, duplicate names', async () => {
    const post = (payload: object) => call({ method: 'POST', url: '/api/v1/settings/sso/providers', headers: admin.headers, payload });
    const base = { name: 'other', issuer: 'https://idp.example.com', client_id: 'x' };
    const http = await post({ ...base, issuer: 'http://idp.example.com' });
    assert.equal(http.statusCode, 400);
    assert.match(http.json().error, /https/);
    const role = await post({ ...base, default_role: 'no-such-role' });
    assert.equal(role.statusCode, 400);
    assert.match(role.json().error, /no-such-role/);
    const dup = await post({ ...base, name: 'corp' });
    assert.equal(dup.statusCode, 409);
  });

  test('a first login creates the user with the role its groups claim maps to, and opens a session', async () => {
    const before = await userCount();
    const done = await ssoLogin('alice');
    assert.equal(done.statusCode, 302, done.body);
    assert.equal(done.headers.location, '/');
    const auth = cookieOf(done, 'neuwerk_auth');
    assert.ok(auth?.value, 'neuwerk_auth is set');
    assert.ok(cookieOf(done, 'rampart_session')?.value);
    assert.equal(cookieOf(done, 'neuwerk_sso')?.value, '', 'the state cookie is cleared');

    assert.equal(await userCount(), before + 1);
    const alice = await r.core.identity.users.findByEmail('alice@example.com');
    assert.equal(alice?.username, 'alice');
    assert.deepEqual(alice?.roles, ['admin']);

    const whoami = await call({ method: 'GET', url: '/api/v1/auth/whoami', headers: { cookie: `neuwerk_auth=${auth.value}` } });
    assert.equal(whoami.statusCode, 200, whoami.body);
    const sessions = await r.core.identity.sessions.list(alice!.id);
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0].auth_method, 'sso');

    const audit = await r.core.audit.list({ action: 'identity.login', resourceId: alice!.id }, { limit: 5 });
    assert.equal(audit.items[0].result, 'success');
    assert.deepEqual(audit.items[0].details, { method: 'sso', provider: 'corp' });
  });

  test('a second login links the same user; a changed group replaces the role at that login', async () => {
    const first = await ssoLogin('bob');
    assert.equal(first.statusCode, 302, first.body);
    const bob = await r.core.identity.users.findByEmail('bob@example.com');
    assert.deepEqual(bob?.roles, ['readonly']);
    const count = await userCount();

    ACCOUNTS.bob.groups = ['net-admins'];
    const second = await ssoLogin('bob');
    assert.equal(second.statusCode, 302, second.body);
    assert.equal(await userCount(), count, 'no new user');
    const again = await r.core.identity.users.get(bob!.id);
    assert.deepEqual(again.roles, ['admin']);
    assert.equal((await r.core.identity.sessions.list(bob!.id)).length, 2);
  });

  test('a verified address links the existing account; an unverified one that collides is refused; usernames get a suffix', async () => {
    const frank = await r.core.identity.users.create({ username: 'frank', email: 'frank@example.com' });
    const linked = await ssoLogin('frank');
    assert.equal(linked.statusCode, 302, linked.body);
    assert.deepEqual((await r.core.identity.users.get(frank.id)).roles, ['readonly'], 'the existing account signed in');
    assert.equal(await r.core.identity.users.findRowByUsername('frank-sso'), undefined);

    await r.core.identity.users.create({ username: 'grace', email: 'grace@example.com' });
    const before = await userCount();
    const refused = await ssoLogin('mallory');
    assert.equal(refused.statusCode, 409);
    assert.match(refused.json().error, /did not verify/);
    assert.equal(await userCount(), before);

    const twin = await ssoLogin('alice-two');
    assert.equal(twin.statusCode, 302, twin.body);
    assert.equal((await r.core.identity.users.findByEmail('alice.two@example.com'))?.username, 'alice-2');
  });

  test('a suspended account is refused at its next SSO login', async () => {
    assert.equal((await ssoLogin('dave')).statusCode, 302);
    const dave = (await r.core.identity.users.findByEmail('dave@example.com'))!;
    await r.core.identity.users.suspend(dave.id);
    const refused = await ssoLogin('dave');
    assert.equal(refused.statusCode, 403);
    assert.deepEqual(refused.json(), { error: 'account is suspended' });
    assert.equal(cookieOf(refused, 'neuwerk_auth'), undefined);
  });

  test('a disabled provider is hidden from the login screen and cannot start; one default at a time', async () => {
    const created = await call({
      method: 'POST',
      url: '/api/v1/auth/oauth/providers',
      headers: admin.headers,
      payload: { name: 'spare', issuer_url: idp.issuer, client_id: 'spare', is_default: true },
    });
    assert.equal(created.statusCode, 201, created.body);
    const spare = created.json();
    assert.equal(spare.client_secret_configured, false);
    assert.equal((await r.core.identity.sso.get(providerId)).is_default, false, 'the new default displaced the old');

    const disabled = await call({ method: 'PUT', url: `/api/v1/auth/oauth/providers/${spare.id}`, headers: admin.headers, payload: { enabled: false } });
    assert.equal(disabled.statusCode, 200, disabled.body);
    assert.equal(disabled.json().name, 'spare', 'fields left out keep their values');
    const listed = await call({ method: 'GET', url: '/api/v1/auth/sso/providers' });
    assert.deepEqual(listed.json().map((p: { name: string }) => p.name), ['corp']);
    const start = await call({ method: 'GET', url: `/api/v1/auth/sso/${spare.id}/start` });
    assert.equal(start.statusCode, 400);
    assert.deepEqual(start.json(), { error: 'SSO provider is disabled' });
    const unknown = await call({ method: 'GET', url: '/api/v1/auth/sso/nope/start' });
    assert.equal(unknown.statusCode, 404);

    const removed = await call({ method: 'DELETE', url: `/api/v1/settings/sso/providers/${spare.id}`, headers: admin.headers });
    assert.equal(removed.statusCode, 204);
    const restored = await call({ method: 'PUT', url: `/api/v1/settings/sso/providers/${providerId}`, headers: admin.headers, payload: { is_default: true } });
    assert.equal(restored.json().is_default, true);
  });

  test('an email domain outside the allow-list is refused with 403 before any mapping, and no user is created', async () => {
    const before = await userCount();
    const refused = await ssoLogin('eve');
    assert.equal(refused.statusCode, 403);
    assert.deepEqual(refused.json(), { error: 'email domain not allowed' });
    assert.equal(cookieOf(refused, 'neuwerk_auth'), undefined);
    assert.equal(await userCount(), before);
    assert.equal(await r.core.identity.users.findByEmail('eve@evil.example'), undefined);

    const audit = await r.core.audit.list({ action: 'identity.login', result: 'failure' }, { limit: 5 });
    assert.equal(audit.items[0].details.method, 'sso');
    assert.equal(audit.items[0].details.error, 'email domain not allowed');
  });

  test('an account no mapping covers, with no default role, is refused with 403', async () => {
    const refused = await ssoLogin('carol');
    assert.equal(refused.statusCode, 403);
    assert.deepEqual(refused.json(), { error: 'no role mapped for this account' });
    assert.equal(await r.core.identity.users.findByEmail('carol@example.com'), undefined);
  });

  test('a tampered, missing or mismatched state cookie is refused with 400', async () => {
    const started = await call({ method: 'GET', url: `/api/v1/auth/sso/${providerId}/start` });
    const state = cookieOf(started, 'neuwerk_sso')!.value;
    const back = pathOf(await idp.login(started.headers.location as string, 'alice', ORIGIN));
    const flipped = state.slice(0, -3) + (state.slice(-3) === 'AAA' ? 'BBB' : 'AAA');
    for (const cookie of [`neuwerk_sso=${flipped}`, '']) {
      const res = await call({ method: 'GET', url: back, headers: cookie ? { cookie } : {} });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), { error: 'invalid or expired SSO state' });
    }
    // The state of another login attempt: a valid cookie, but not for this authorization response.
    const other = cookieOf(await call({ method: 'GET', url: `/api/v1/auth/sso/${providerId}/start` }), 'neuwerk_sso')!.value;
    const mismatch = await call({ method: 'GET', url: back, headers: { cookie: `neuwerk_sso=${other}` } });
    assert.equal(mismatch.statusCode, 400);
    assert.deepEqual(mismatch.json(), { error: 'invalid or expired SSO state' });
    // The genuine pair still works once.
    const ok = await call({ method: 'GET', url: back, headers: { cookie: `neuwerk_sso=${state}` } });
    assert.equal(ok.statusCode, 302, ok.body);
  });

  test('a return path is kept only when it is on this site', async () => {
    const local = await ssoLogin('alice', `/api/v1/auth/sso/${providerId}/start?return_to=%2Fpolicies%3Ftab%3D2`);
    assert.equal(local.headers.location, '/policies?tab=2');
    const foreign = await ssoLogin('alice', `/api/v1/auth/sso/${providerId}/start?return_to=https%3A%2F%2Fevil.example%2F`);
    assert.equal(foreign.headers.location, '/');
  });

  test("fleet: OpenWatch's login page starts at /api/v1/auth/sso/{id}/login and comes back signed in; an unknown provider returns to /login", async () => {
    const back = await ssoLogin('alice', `/api/v1/auth/sso/${providerId}/login?return_to=%2Fdashboard`);
    assert.equal(back.statusCode, 302, back.body);
    assert.equal(back.headers.location, '/dashboard');
    const session = cookieOf(back, 'rampart_session');
    assert.ok(session, 'the session cookie OpenWatch\'s UI then sends');
    const me = await call({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: `rampart_session=${session.value}` } });
    assert.equal(me.json().username, 'alice');
    const unknown = await call({ method: 'GET', url: `/api/v1/auth/sso/${randomBytes(4).toString('hex')}/login` });
    assert.equal(unknown.statusCode, 302);
    assert.match(String(unknown.headers.location), /^\/login\?sso_error=/);
  });

  test('edge: authorize by provider name, and ?format=json answers the login response', async () => {
    const res = await ssoLogin('alice', '/api/v1/auth/oauth/corp/authorize', 'rampart_sso', '&format=json');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.user.username, 'alice');
    assert.equal(body.user.role, 'admin');
    const me = await call({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${body.access_token}` } });
    assert.equal(me.statusCode, 200, me.body);

    const list = await call({ method: 'GET', url: '/api/v1/auth/oauth/providers', headers: admin.headers });
    assert.equal(list.statusCode, 200);
    assert.equal(list.json()[0].client_secret_configured, true);
  });

  test('overlay: login through the default provider, me, reauthentication and logout', async () => {
    const done = await ssoLogin('alice', '/api/auth/login', 'rampart_sso');
    assert.equal(done.statusCode, 302, done.body);
    const location = new URL(done.headers.location as string, ORIGIN);
    assert.equal(location.pathname, '/auth/callback');
    const token = location.searchParams.get('token')!;
    const bearer = { authorization: `Bearer ${token}` };

    const alice = (await r.core.identity.users.findByEmail('alice@example.com'))!;
    const me = await call({ method: 'GET', url: '/api/auth/me', headers: bearer });
    assert.deepEqual(me.json(), { authenticated: true, sub: alice.id, email: 'alice@example.com', role: 'admin', system_role: 'system-admin' });

    // Reauthentication: a fresh login at the IdP (prompt=login) by the same account yields a 5-minute reauth token.
    const challenge = await call({ method: 'POST', url: '/api/auth/reauth/challenge', headers: bearer });
    assert.equal(challenge.statusCode, 200, challenge.body);
    const { reauth_url } = challenge.json();
    assert.equal(new URL(reauth_url).searchParams.get('prompt'), 'login');
    const pending = cookieOf(challenge, 'rampart_reauth')!.value;
    const back = await idp.login(reauth_url, 'alice', ORIGIN);
    const reauthed = await call({ method: 'GET', url: pathOf(back), headers: { cookie: `rampart_reauth=${pending}` } });
    assert.equal(reauthed.statusCode, 302, reauthed.body);
    const target = new URL(reauthed.headers.location as string, ORIGIN);
    assert.equal(target.pathname, '/auth/reauth');
    const reauthToken = target.searchParams.get('reauth_token')!;
    await verifyReauthToken(r.core.identity.keyset, reauthToken, alice.id);
    await assert.rejects(verifyReauthToken(r.core.identity.keyset, reauthToken, admin.user.id), { status: 403, code: 'reauth_required' });
    await assert.rejects(verifyReauthToken(r.core.identity.keyset, token, alice.id), { status: 403, code: 'reauth_required' }, 'an access token is no reauth token');
    const asReauth = await call({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${reauthToken}` } });
    assert.deepEqual(asReauth.json(), { authenticated: false }, 'a reauth token is no access token');

    // Reauthenticating as somebody else proves nothing about alice.
    const second = await call({ method: 'POST', url: '/api/auth/reauth/challenge', headers: bearer });
    const otherBack = await idp.login(second.json().reauth_url, 'bob', ORIGIN);
    const wrong = await call({ method: 'GET', url: pathOf(otherBack), headers: { cookie: `rampart_reauth=${cookieOf(second, 'rampart_reauth')!.value}` } });
    assert.equal(wrong.statusCode, 403);
    assert.deepEqual(wrong.json(), { detail: 'reauthenticated as another user' });

    const status = await call({ method: 'GET', url: '/api/auth/oidc-status' });
    assert.deepEqual(status.json(), { status: 'ok' });

    const out = await call({ method: 'GET', url: '/api/auth/logout', headers: bearer });
    assert.equal(out.statusCode, 302);
    const endSession = new URL(out.headers.location as string);
    assert.equal(endSession.origin, idp.issuer, "logout continues at the IdP's end_session_endpoint");
    const after = await call({ method: 'GET', url: '/api/auth/me', headers: bearer });
    assert.deepEqual(after.json(), { authenticated: false }, 'the session is revoked');
  });

  test('the client secret is sealed at rest: never in plaintext in the database', async () => {
    // Update it too: a replaced secret is sealed like the first.
    const put = await call({ method: 'PUT', url: `/api/v1/settings/sso/providers/${providerId}`, headers: admin.headers, payload: { client_secret: clientSecret } });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().client_secret_configured, true);
    const row = await r.core.db.kysely.selectFrom('sso_providers').select('client_secret').where('id', '=', providerId).executeTakeFirstOrThrow();
    assert.match(row.client_secret!, /^rs1\./);
    assert.ok(!row.client_secret!.includes(clientSecret));
    if (!onPostgres) {
      const file = join(r.tdb.dataDir, 'rampart.db');
      const bytes = Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
      assert.ok(bytes.length > 0);
      assert.equal(bytes.includes(Buffer.from(clientSecret)), false, 'no plaintext client secret in the database files');
    }
  });

  test('no response of these tests contained the client secret', () => {
    assert.ok(seen.length > 40);
    for (const body of seen) assert.ok(!body.includes(clientSecret), `a response leaked the client secret: ${body.slice(0, 200)}`);
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

describe('overlay auth without an OIDC provider', () => {
  let r: TestRampart;
  let dev: TestRampart;
  before(async () => {
    r = await createTestRampart();
    dev = await createTestRampart({ overrides: { 'auth.dev_mode': true } });
  });
  after(async () => {
    await r?.cleanup();
    await dev?.cleanup();
  });

  test('me answers {"authenticated": false} without a credential and with an invalid one', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-token' }]) {
      const res = await r.app.inject({ method: 'GET', url: '/api/auth/me', headers });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { authenticated: false });
    }
    const viewer = await signIn(r, { roles: ['viewer'] });
    const me = await r.app.inject({ method: 'GET', url: '/api/auth/me', headers: viewer.headers });
    assert.deepEqual(me.json(), { authenticated: true, sub: viewer.user.id, email: null, role: 'viewer', system_role: 'user' });
  });

  test('login answers 501 and oidc-status disabled while no provider is configured', async () => {
    const login = await r.app.inject({ method: 'GET', url: '/api/auth/login' });
    assert.equal(login.statusCode, 501);
    assert.deepEqual(Object.keys(login.json()), ['detail']);
    assert.match(login.json().detail, /^OIDC is not configured\. Sign in with a local account instead: POST \/api\/v1\/auth\/login/);
    const status = await r.app.inject({ method: 'GET', url: '/api/auth/oidc-status' });
    assert.deepEqual(status.json(), { status: 'disabled' });
  });

  test('dev-token: 404 without dev mode; in dev mode an admin token, until an OIDC provider is configured', async () => {
    const off = await r.app.inject({ method: 'GET', url: '/api/auth/dev-token' });
    assert.equal(off.statusCode, 404);
    assert.deepEqual(off.json(), { detail: 'Not Found' });

    const admin = await signIn(dev, { roles: ['admin'] });
    const on = await dev.app.inject({ method: 'GET', url: '/api/auth/dev-token' });
    assert.equal(on.statusCode, 200, on.body);
    const { token, expires_in } = on.json();
    assert.ok(expires_in > 0);
    const me = await dev.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.json().sub, admin.user.id);
    assert.equal(me.json().system_role, 'system-admin');
    const audit = await dev.core.audit.list({ action: 'identity.login', resourceId: admin.user.id }, { limit: 5 });
    assert.deepEqual(audit.items[0].details, { method: 'dev' });

    // A provider that cannot even be reached still counts as configured: dev tokens stop, and status says 503.
    const down = await dev.core.identity.sso.create({ name: 'down', issuer_url: `http://127.0.0.1:${await closedPort()}`, client_id: 'x' });
    const probe = await dev.core.identity.sso.test(down.id);
    assert.equal(probe.ok, false);
    assert.match(probe.detail, /could not be fetched: ECONNREFUSED/);
    const closed = await dev.app.inject({ method: 'GET', url: '/api/auth/dev-token' });
    assert.equal(closed.statusCode, 404);
    const status = await dev.app.inject({ method: 'GET', url: '/api/auth/oidc-status' });
    assert.equal(status.statusCode, 503);
    assert.match(status.json().detail, /^OIDC provider unavailable: /);
  });
});

/** GitHub's OAuth 2 endpoints and user API, as much as a login uses: no discovery, no id_token. */
async function startFakeGitHub(clientSecret: string) {
  let challenge = '';
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x');
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/login/oauth/authorize') {
      challenge = url.searchParams.get('code_challenge') ?? '';
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', 'gh-code');
      back.searchParams.set('state', url.searchParams.get('state')!);
      return res.writeHead(302, { location: back.href }).end();
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const form = new URLSearchParams(raw);
      const verifier = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
      if (form.get('client_secret') !== clientSecret || form.get('code') !== 'gh-code' || verifier !== challenge) {
        return json(400, { error: 'bad_verification_code' });
      }
      return json(200, { access_token: 'gh-token', token_type: 'bearer', scope: 'read:user,user:email' });
    }
    if (req.headers.authorization !== 'Bearer gh-token') return json(401, { message: 'Requires authentication' });
    if (url.pathname === '/user') return json(200, { id: 4242, login: 'octocat', name: 'The Octocat', email: null });
    if (url.pathname === '/user/emails') return json(200, [{ email: 'octo@example.com', primary: true, verified: true }]);
    return json(404, { message: 'Not Found' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise((done) => server.close(done)) };
}

describe('SSO through GitHub (OAuth 2 with explicit endpoints)', () => {
  let r: TestRampart;
  let github: Awaited<ReturnType<typeof startFakeGitHub>>;
  const secret = `gh-secret-${randomBytes(8).toString('hex')}`;
  before(async () => {
    r = await createTestRampart();
    github = await startFakeGitHub(secret);
  });
  after(async () => {
    await github?.close();
    await r?.cleanup();
  });

  test('a login uses the user API and the primary verified address, with PKCE and the client secret', async () => {
    const { headers } = await signIn(r, { roles: ['admin'] });
    const created = await r.app.inject({
      method: 'POST',
      url: '/api/v1/auth/oauth/providers',
      headers,
      payload: {
        name: 'github',
        kind: 'github',
        issuer_url: github.base,
        authorization_url: `${github.base}/login/oauth/authorize`,
        token_url: `${github.base}/login/oauth/access_token`,
        userinfo_url: `${github.base}/user`,
        client_id: 'gh-client',
        client_secret: secret,
        default_role: 'viewer',
        allowed_email_domains: ['example.com'],
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.deepEqual(created.json().scopes, ['read:user', 'user:email']);

    const started = await r.app.inject({ method: 'GET', url: '/api/v1/auth/oauth/github/authorize', headers: { host: HOST } });
    assert.equal(started.statusCode, 302, started.body);
    const idpAnswer = await fetch(started.headers.location as string, { redirect: 'manual' });
    const back = idpAnswer.headers.get('location')!;
    const done = await r.app.inject({
      method: 'GET',
      url: `${pathOf(back)}&format=json`,
      headers: { host: HOST, cookie: `rampart_sso=${cookieOf(started, 'rampart_sso')!.value}` },
    });
    assert.equal(done.statusCode, 200, done.body);
    assert.equal(done.json().user.username, 'octocat');
    assert.equal(done.json().user.email, 'octo@example.com');
    assert.equal(done.json().user.role, 'viewer');
  });
});

/**
 * Signing in to the overlay API without an OIDC provider: Commander's login answers 501 and names the local
 * login, whose bearer token and session cookie both work on /api; the Swagger page says the same.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

describe('overlay sign-in without OIDC', () => {
  let r: TestRampart;
  let user: SignedIn;

  before(async () => {
    r = await createTestRampart();
    user = await signIn(r, { roles: ['admin'] });
  });
  after(() => r.cleanup());

  test('GET /api/auth/login answers 501 with the way to sign in locally', async () => {
    const res = await r.app.inject({ method: 'GET', url: '/api/auth/login' });
    assert.equal(res.statusCode, 501);
    const { detail } = res.json();
    for (const hint of ['POST /api/v1/auth/login', 'Authorization: Bearer', 'rampart_session', 'initial-admin-password']) assert.ok(detail.includes(hint), hint);
  });

  test('the token and the cookie of POST /api/v1/auth/login both work on the overlay routes', async () => {
    const login = await r.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.user.username, password: user.password } });
    assert.equal(login.statusCode, 200, login.body);
    const { access_token } = login.json();
    const cookie = [login.headers['set-cookie']].flat().find((c) => c?.startsWith('rampart_session='));
    assert.ok(cookie, 'a session cookie');

    const me = await r.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${access_token}` } });
    assert.deepEqual([me.json().authenticated, me.json().sub, me.json().system_role], [true, user.user.id, 'system-admin']);
    // A write the cookie authenticates must also send the CSRF cookie's value back in X-CSRF-Token (http/csrf.ts).
    const csrf = [login.headers['set-cookie']].flat().find((c) => c?.startsWith('rampart_csrf='))!.split(';')[0];
    const cookies = `${cookie!.split(';')[0]}; ${csrf}`;
    const payload = { name: 'by-cookie', subnet_cidr: '10.55.0.0/24' };
    const forged = await r.app.inject({ method: 'POST', url: '/api/networks', headers: { cookie: cookies }, payload });
    assert.equal(forged.statusCode, 403, forged.body);
    const created = await r.app.inject({ method: 'POST', url: '/api/networks', headers: { cookie: cookies, 'x-csrf-token': csrf.split('=')[1] }, payload });
    assert.equal(created.statusCode, 200, created.body);
    const listed = await r.app.inject({ method: 'GET', url: '/api/networks', headers: { authorization: `Bearer ${access_token}` } });
    assert.deepEqual(listed.json().map((n: any) => n.name), ['by-cookie']);
  });

  test("the overlay OpenAPI document's description explains the local login", async () => {
    const doc = (await r.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    for (const hint of ['POST /api/v1/auth/login', 'Authorization: Bearer', 'rampart_session', 'initial-admin-password']) assert.ok(doc.info.description.includes(hint), hint);
  });
});

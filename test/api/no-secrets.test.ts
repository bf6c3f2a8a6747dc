/**
 * Secrets never leave in a response except the one place a spec says "shown once": walks a whole identity
 * life (password, TOTP, API key, service-account token, SSO client secret, refresh tokens), then reads every
 * list and detail route an administrator can reach, and searches every response for the secrets and their hashes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as OTPAuth from 'otpauth';
import type { RouteDefinition } from '../../src/http/route.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn } from '../helpers/identity.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('no response carries a secret or its hash', () => {
  let r: TestRampart;
  let admin: Record<string, string>;
  const responses: { what: string; body: string }[] = [];
  const secrets: Record<string, string> = {};
  let clock = Date.parse('2026-06-01T12:00:00Z');

  const call = async (what: string, method: string, url: string, payload?: unknown, headers = admin) => {
    const res = await r.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    responses.push({ what, body: `${JSON.stringify(res.headers)}\n${res.body}` });
    return res;
  };

  before(async () => {
    r = await createTestRampart({ now: () => new Date(clock) });
    ({ headers: admin } = await signIn(r, { roles: ['admin'] }));

    secrets.password = 'a long enough password 42';
    const created = await call('create user', 'POST', '/api/v1/users', { username: 'alice', email: 'alice@example.com', password: secrets.password });
    assert.equal(created.statusCode, 201, created.body);
    // The login response is where the refresh token is handed over: not recorded; the refresh response must not echo it.
    const login = await r.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'alice', password: secrets.password } });
    assert.equal(login.statusCode, 200, login.body);
    const alice = { authorization: `Bearer ${login.json().access_token}` };
    secrets.refresh = login.json().refresh_token;
    const refreshed = await call('refresh', 'POST', '/api/v1/auth/refresh', { refresh_token: secrets.refresh }, {});
    assert.equal(refreshed.statusCode, 200, refreshed.body);

    // Shown once: the TOTP secret at enrollment and the recovery codes at verification; not recorded.
    const enroll = await r.app.inject({ method: 'POST', url: '/api/v1/auth/mfa:enroll', headers: alice });
    assert.equal(enroll.statusCode, 200, enroll.body);
    secrets.totp = enroll.json().secret;
    const code = new OTPAuth.TOTP({ secret: secrets.totp, algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: clock });
    const verify = await r.app.inject({ method: 'POST', url: '/api/v1/auth/mfa:verify', headers: alice, payload: { otp: code } });
    assert.equal(verify.statusCode, 200, verify.body);
    secrets.recovery = verify.json().recovery_codes[0];

    const key = await r.app.inject({ method: 'POST', url: '/api/v1/auth/api-keys', headers: admin, payload: { name: 'scraper', permissions: ['dashboard:view'] } });
    assert.equal(key.statusCode, 201, key.body);
    secrets.apiKey = key.json().key;

    const account = await call('create service account', 'POST', '/api/v1/service-accounts', { name: 'terraform', role: 'admin' });
    assert.equal(account.statusCode, 200, account.body);
    const minted = await r.app.inject({ method: 'POST', url: `/api/v1/service-accounts/${account.json().id}/tokens`, headers: admin, payload: { name: 'ci', ttl: '24h' } });
    assert.equal(minted.statusCode, 200, minted.body);
    secrets.saToken = minted.json().token;

    secrets.clientSecret = 'client-secret-that-must-stay-inside';
    const provider = await call('create SSO provider', 'POST', '/api/v1/settings/sso/providers', {
      name: 'corp', kind: 'oidc', issuer_url: 'http://127.0.0.1:9/', client_id: 'rampart', client_secret: secrets.clientSecret,
    });
    assert.equal(provider.statusCode, 201, provider.body);

    // Every GET route an administrator can reach without path parameters, then the details of what was made.
    const gets = r.routes.filter((route: RouteDefinition<any>) => route.method === 'GET' && !route.path.includes(':') && !route.hidden);
    for (const route of gets) await call(`GET ${route.path}`, 'GET', route.path);
    await call('user detail', 'GET', `/api/v1/users/${created.json().id}`);
    await call('edge user detail', 'GET', `/api/v1/auth/users/${created.json().id}`);
    await call('sa tokens', 'GET', `/api/v1/service-accounts/${account.json().id}/tokens`);
    await call('provider detail', 'GET', `/api/v1/settings/sso/providers/${provider.json().id}`);
    await call('me', 'GET', '/api/v1/auth/me', undefined, alice);
  });
  after(() => r.cleanup());

  test('the walk read a good part of the API', () => {
    assert.ok(responses.length > 25, `only ${responses.length} responses`);
  });

  for (const [name, pattern] of [
    ['an argon2id password hash', /\$argon2id\$/],
    ['a sealed value', /rs1\.[A-Za-z0-9_-]+\./],
  ] as const) {
    test(`no response contains ${name}`, () => {
      const leaks = responses.filter((x) => pattern.test(x.body)).map((x) => x.what);
      assert.deepEqual(leaks, []);
    });
  }

  test('no response contains a password, TOTP secret, recovery code, client secret, or a token or its hash', () => {
    const leaks: string[] = [];
    for (const [name, secret] of Object.entries(secrets)) {
      for (const needle of [secret, sha256(secret)]) {
        for (const x of responses) if (x.body.includes(needle)) leaks.push(`${name} in ${x.what}`);
      }
    }
    assert.deepEqual(leaks, []);
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import * as OTPAuth from 'otpauth';
import pino from 'pino';
import { loadConfig } from '../../src/core/config/load.js';
import { prepareDatabase } from '../../src/core/index.js';
import { loadOrCreateTls } from '../../src/http/tls.js';
import { createRampart } from '../../src/server.js';
import { createTestDatabase } from '../helpers/db.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { DEFAULT_PASSWORD, signIn } from '../helpers/identity.js';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const codeAt = (secret: string, at: Date) => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: at.getTime() });

/** The parts of an error answer that may differ between two requests: none but the correlation id. */
function comparable(res: LightMyRequestResponse) {
  const body = res.json();
  delete body.error.correlation_id;
  return { status: res.statusCode, body, retryAfter: res.headers['retry-after'] };
}

describe('login', () => {
  let r: TestRampart;
  let clock = new Date('2026-06-10T12:00:00Z');
  const later = (seconds: number) => void (clock = new Date(clock.getTime() + seconds * 1000));
  /** Every response body of this suite, to prove that none carries a hash. */
  const bodies: string[] = [];
  const refreshTokens: string[] = [];
  let ip = 0;

  before(async () => {
    r = await createTestRampart({ now: () => clock, overrides: { 'auth.login_rate_limit_per_minute': 10_000 } });
  });
  after(() => r.cleanup());

  async function call(opts: InjectOptions) {
    const res = await r.app.inject({ remoteAddress: `10.0.0.${++ip % 250}`, ...opts });
    bodies.push(res.body);
    return res;
  }
  const login = (body: Record<string, unknown>) => call({ method: 'POST', url: '/api/v1/auth/login', payload: body });
  const auditRows = async (action: string) => (await r.core.audit.list({ action }, { limit: 200 })).items;

  test('a password login returns the token pair and the user, and sets the session cookie', async () => {
    const { user } = await signIn(r, { roles: ['operator'] });
    const res = await login({ username: user.username, password: DEFAULT_PASSWORD });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    // mfa_enrollment_required: OpenWatch's login flag (false unless the auth policy requires MFA of this user).
    // tokens, totp_required: AiFw's nested pair beside them (its UI reads tokens.access_token).
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'mfa_enrollment_required', 'refresh_token', 'token_type', 'tokens', 'totp_required', 'user']);
    assert.equal(body.tokens.access_token, body.access_token);
    assert.equal(body.mfa_enrollment_required, false);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 900);
    assert.deepEqual(body.user, { id: user.id, username: user.username, email: null, role: 'operator' });
    refreshTokens.push(body.refresh_token);

    const me = await call({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${body.access_token}` } });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().id, user.id);

    const cookie = res.cookies.find((c) => c.name === 'rampart_session');
    assert.ok(cookie, 'the session cookie is set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    assert.equal(cookie.maxAge, 8 * 3600);
    assert.equal(cookie.secure, true, 'served as HTTPS (no server.insecure_http): Secure');
    const viaCookie = await call({ method: 'GET', url: '/api/v1/auth/me', cookies: { rampart_session: cookie.value } });
    assert.equal(viaCookie.json().id, user.id);

    const [row] = (await auditRows('identity.login')).filter((a) => a.resource_id === user.id);
    assert.equal(row.result, 'success');
    assert.equal(row.actor_id, user.id);
  });

  test('usernames are case-insensitive', async () => {
    const { user } = await signIn(r);
    const res = await login({ username: user.username.toUpperCase(), password: DEFAULT_PASSWORD });
    assert.equal(res.statusCode, 200, res.body);
  });

  test('an unknown user and a wrong password get the same answer', async () => {
    const { user } = await signIn(r);
    const wrong = await login({ username: user.username, password: 'not the password at all' });
    const unknown = await login({ username: 'no-such-user-anywhere', password: 'not the password at all' });
    assert.equal(wrong.statusCode, 401);
    assert.deepEqual(comparable(wrong), comparable(unknown));
    assert.equal(wrong.json().error.code, 'invalid_credentials');
    assert.equal(wrong.json().error.human_message, 'invalid username or password');
  });

  test('a suspended user with the right password gets the answer of a wrong password', async () => {
    const { user } = await signIn(r);
    await r.core.identity.users.suspend(user.id);
    const suspended = await login({ username: user.username, password: DEFAULT_PASSWORD });
    const unknown = await login({ username: 'another-unknown-user', password: DEFAULT_PASSWORD });
    assert.deepEqual(comparable(suspended), comparable(unknown));
  });

  const loginFrom = (remoteAddress: string, body: Record<string, unknown>) =>
    call({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: body });

  test('an attacker failing from one address is slowed there (429, Retry-After, doubling); the real user signs in from another', async () => {
    const { user } = await signIn(r);
    const attacker = '10.66.0.1';
    const answers = async (username: string) => {
      const seen = [];
      for (let i = 0; i < 5; i++) seen.push(comparable(await loginFrom(attacker, { username, password: `wrong password ${i}` })));
      seen.push(comparable(await loginFrom(attacker, { username, password: DEFAULT_PASSWORD })));
      return seen;
    };
    const real = await answers(user.username);
    const ghost = await answers('ghost-user-who-never-was');
    assert.deepEqual(real.map((a) => a.status), [401, 401, 401, 401, 429, 429], 'even the right password waits at that address');
    assert.equal(real[4].retryAfter, '5');
    assert.equal(real[4].body.error.code, 'account_locked');
    assert.equal(real[4].body.error.retryable, true);
    assert.deepEqual(real[4].body.error.details, { retry_after_seconds: 5, scope: 'account_source' });
    assert.deepEqual(ghost, real, 'an unknown user is answered alike');

    const owner = await loginFrom('10.77.0.1', { username: user.username, password: DEFAULT_PASSWORD });
    assert.equal(owner.statusCode, 200, 'the owner, elsewhere, is not locked out');

    later(5);
    const next = await loginFrom(attacker, { username: user.username, password: 'wrong password 5' });
    assert.equal(next.statusCode, 429);
    assert.equal(next.headers['retry-after'], '10', 'each further failure doubles the wait');
    later(10);
    assert.equal((await loginFrom(attacker, { username: user.username, password: DEFAULT_PASSWORD })).statusCode, 200, 'the wait runs out');

    const lockouts = await auditRows('identity.login.lockout');
    assert.ok(lockouts.some((a) => a.details.username === user.username && a.details.scope === 'account_source'));
    assert.ok(lockouts.some((a) => a.details.username === 'ghost-user-who-never-was'));
    const failures = (await auditRows('identity.login')).filter((a) => a.result === 'failure');
    assert.ok(failures.some((a) => a.details.username === user.username && a.details.reason === 'invalid_credentials'));
    const all = JSON.stringify((await r.core.audit.list({}, { limit: 200 })).items);
    assert.ok(!all.includes('wrong password') && !all.includes(DEFAULT_PASSWORD), 'no password in the audit trail');
  });

  describe('with TOTP', () => {
    async function mfaUser() {
      const signedIn = await signIn(r);
      const { secret } = await r.core.identity.mfa.enroll(signedIn.user.id);
      await r.core.identity.mfa.verify(signedIn.user.id, codeAt(secret, clock));
      later(30); // the enrollment used this time step's code
      return { ...signedIn, secret };
    }

    test('two steps: mfa_required with an mfa_token, then totp/login; the same code is refused the second time', async () => {
      const { user, secret } = await mfaUser();
      const first = await login({ username: user.username, password: DEFAULT_PASSWORD });
      assert.equal(first.statusCode, 401);
      assert.equal(first.json().error.code, 'mfa_required');
      const mfaToken = first.json().error.details.mfa_token;
      assert.equal(first.cookies.length, 0, 'no session yet');

      const code = codeAt(secret, clock);
      const second = await call({ method: 'POST', url: '/api/v1/auth/totp/login', payload: { mfa_token: mfaToken, code } });
      assert.equal(second.statusCode, 200, second.body);
      assert.equal(second.json().user.id, user.id);
      assert.ok(second.cookies.some((c) => c.name === 'rampart_session'));

      const again = await login({ username: user.username, password: DEFAULT_PASSWORD });
      const replay = await call({ method: 'POST', url: '/api/v1/auth/totp/login', payload: { mfa_token: again.json().error.details.mfa_token, code } });
      assert.equal(replay.statusCode, 401);
      assert.deepEqual(replay.json(), { error: 'invalid TOTP or recovery code' }, 'the edge envelope');
    });

    test('one step: otp in the body; a wrong or replayed otp is 401 invalid_otp', async () => {
      const { user, secret } = await mfaUser();
      const wrong = await login({ username: user.username, password: DEFAULT_PASSWORD, otp: '000000' === codeAt(secret, clock) ? '111111' : '000000' });
      assert.equal(wrong.statusCode, 401);
      assert.equal(wrong.json().error.code, 'invalid_otp');

      const code = codeAt(secret, clock);
      const ok = await login({ username: user.username, password: DEFAULT_PASSWORD, otp: code });
      assert.equal(ok.statusCode, 200, ok.body);
      const replay = await login({ username: user.username, password: DEFAULT_PASSWORD, otp: code });
      assert.equal(replay.statusCode, 401);
      assert.equal(replay.json().error.code, 'invalid_otp');
    });

    test('an expired or wrong-purpose mfa_token is refused', async () => {
      const { user, secret, token } = await mfaUser();
      const first = await login({ username: user.username, password: DEFAULT_PASSWORD });
      const mfaToken = first.json().error.details.mfa_token;
      const withAccessToken = await call({ method: 'POST', url: '/api/v1/auth/totp/login', payload: { mfa_token: token, code: codeAt(secret, clock) } });
      assert.equal(withAccessToken.statusCode, 401);
      later(300 + 61);
      const expired = await call({ method: 'POST', url: '/api/v1/auth/totp/login', payload: { mfa_token: mfaToken, code: codeAt(secret, clock) } });
      assert.equal(expired.statusCode, 401);
    });

    test('wrong codes at totp/login slow that address (edge envelope, Retry-After); the user completes from another', async () => {
      const { user, secret } = await mfaUser();
      const mfaToken = (await loginFrom('10.88.0.1', { username: user.username, password: DEFAULT_PASSWORD })).json().error.details.mfa_token;
      const valid = codeAt(secret, clock);
      const wrong = valid === '000000' ? '111111' : '000000';
      const totpFrom = (remoteAddress: string, code: string) =>
        call({ method: 'POST', url: '/api/v1/auth/totp/login', remoteAddress, payload: { mfa_token: mfaToken, code } });
      for (let i = 0; i < 4; i++) assert.equal((await totpFrom('10.66.2.1', wrong)).statusCode, 401);
      const limited = await totpFrom('10.66.2.1', wrong);
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.headers['retry-after'], '5');
      assert.deepEqual(limited.json(), { error: 'too many failed logins; try again in 5 s' }, 'the edge envelope');
      assert.equal((await totpFrom('10.66.2.1', valid)).statusCode, 429, 'a right code waits too at that address');
      assert.equal((await totpFrom('10.88.0.1', valid)).statusCode, 200);
    });

    test('an mfa_token is not an access token', async () => {
      const { user } = await mfaUser();
      const first = await login({ username: user.username, password: DEFAULT_PASSWORD });
      const mfaToken = first.json().error.details.mfa_token;
      const me = await call({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${mfaToken}` } });
      assert.equal(me.statusCode, 401);
    });
  });

  test('refresh rotates the pair; replaying a used refresh token revokes the family and is audited', async () => {
    const { user } = await signIn(r);
    const first = (await login({ username: user.username, password: DEFAULT_PASSWORD })).json();
    const refresh = (token: string) => call({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } });

    const second = await refresh(first.refresh_token);
    assert.equal(second.statusCode, 200, second.body);
    const pair = second.json();
    assert.deepEqual(pair.user, { id: user.id, username: user.username, email: null, role: null });
    assert.notEqual(pair.refresh_token, first.refresh_token);
    refreshTokens.push(first.refresh_token, pair.refresh_token);
    const me = (token: string) => call({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
    assert.equal((await me(pair.access_token)).statusCode, 200);

    const reuse = await refresh(first.refresh_token);
    assert.equal(reuse.statusCode, 401);
    assert.equal((await refresh(pair.refresh_token)).statusCode, 401, "the newer pair's refresh token died with its family");
    assert.equal((await me(pair.access_token)).statusCode, 401, 'and so did its access token');
    assert.equal((await auditRows('identity.session.reuse_detected')).length, 1);
  });

  test('a token in the query string is refused', async () => {
    const { token } = await signIn(r);
    const res = await call({ method: 'GET', url: `/api/v1/auth/me?access_token=${token}` });
    assert.equal(res.statusCode, 401);
    assert.match(res.json().error.human_message, /query string/);
  });

  test('no response of this suite carried a password hash or a token hash', () => {
    const all = bodies.join('\n');
    assert.ok(bodies.length > 20);
    assert.doesNotMatch(all, /\$argon2/);
    for (const token of refreshTokens) assert.ok(!all.includes(sha256(token)));
    assert.doesNotMatch(all, /token_hash|password_hash|secret_hash/);
  });

  test("a success resets its address's count for the account", async () => {
    const { user } = await signIn(r);
    const fail = () => loginFrom('10.66.1.1', { username: user.username, password: 'not the password' });
    for (let i = 0; i < 4; i++) assert.equal((await fail()).statusCode, 401);
    assert.equal((await loginFrom('10.66.1.1', { username: user.username, password: DEFAULT_PASSWORD })).statusCode, 200);
    for (let i = 0; i < 4; i++) assert.equal((await fail()).statusCode, 401, 'four more failures are not yet the fifth');
  });
});

describe('login rate limit per client IP', () => {
  let r: TestRampart;
  before(async () => {
    r = await createTestRampart({ overrides: { 'auth.login_rate_limit_per_minute': 3 } });
  });
  after(() => r.cleanup());

  test('the fourth attempt in a minute from one address is 429 with Retry-After; another address is unaffected', async () => {
    const attempt = (remoteAddress: string) =>
      r.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: { username: 'someone', password: 'whatever it is' } });
    for (let i = 0; i < 3; i++) assert.equal((await attempt('192.0.2.1')).statusCode, 401);
    const limited = await attempt('192.0.2.1');
    assert.equal(limited.statusCode, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.equal(limited.json().error.code, 'rate_limit.exceeded', "OpenWatch's code on the fleet surface");
    assert.equal(limited.json().error.detail.retry_after_seconds, Number(limited.headers['retry-after']));
    assert.equal((await attempt('192.0.2.2')).statusCode, 401);
  });
});

describe('session cookie over HTTPS', () => {
  test('carries Secure, HttpOnly and SameSite=Lax', async () => {
    const tdb = await createTestDatabase();
    const config = loadConfig({ env: {}, cwd: tdb.dataDir, overrides: { data_dir: tdb.dataDir, 'database.url': tdb.url, 'log.level': 'silent' } });
    const tls = await loadOrCreateTls({ certFile: '', keyFile: '', dataDir: tdb.dataDir });
    const rampart = await createRampart(config, { logger: pino({ level: 'silent' }), tls });
    try {
      await prepareDatabase(rampart.core);
      const user = await rampart.core.identity.users.create({ username: 'tls-user', password: DEFAULT_PASSWORD });
      const res = await rampart.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: DEFAULT_PASSWORD } });
      assert.equal(res.statusCode, 200, res.body);
      const cookie = res.cookies.find((c) => c.name === 'rampart_session');
      assert.equal(cookie?.secure, true);
      assert.equal(cookie?.httpOnly, true);
      assert.equal(cookie?.sameSite, 'Lax');
    } finally {
      await rampart.close();
      await tdb.cleanup();
    }
  });
});

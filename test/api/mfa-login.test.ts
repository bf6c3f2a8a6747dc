import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as OTPAuth from 'otpauth';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { signIn } from '../helpers/identity.js';

/** The code an authenticator app shows for a secret at a moment. */
const codeAt = (secret: string, at: Date) => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: at.getTime() });

describe('login with TOTP: one step (fleet, otp in the body) and two steps (edge, totp/login)', () => {
  let r: TestRampart;
  let clock = new Date('2026-06-10T12:00:10Z');
  /** Moves to the next 30-second step, so a fresh code exists. */
  const nextStep = () => void (clock = new Date(clock.getTime() + 30_000));

  before(async () => {
    r = await createTestRampart({ now: () => clock });
  });
  after(() => r.cleanup());

  /** A user with MFA turned on through the API; the enrollment code's step is spent. */
  async function mfaUser() {
    const signedIn = await signIn(r);
    const { secret } = (await r.app.inject({ method: 'POST', url: '/api/v1/auth/mfa:enroll', headers: signedIn.headers })).json();
    const verified = await r.app.inject({ method: 'POST', url: '/api/v1/auth/mfa:verify', headers: signedIn.headers, payload: { otp: codeAt(secret, clock) } });
    assert.equal(verified.statusCode, 200, verified.body);
    return { ...signedIn, secret, recoveryCodes: verified.json().recovery_codes as string[] };
  }

  const login = (username: string, password: string, otp?: string) =>
    r.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password, ...(otp ? { otp } : {}) } });
  const totpLogin = (mfa_token: string, code: string) => r.app.inject({ method: 'POST', url: '/api/v1/auth/totp/login', payload: { mfa_token, code } });

  /** The first step: the password is right, the answer is 401 mfa_required carrying an mfa_token. */
  async function firstStep(username: string, password: string): Promise<string> {
    const res = await login(username, password);
    assert.equal(res.statusCode, 401, res.body);
    const { error } = res.json();
    assert.equal(error.code, 'mfa_required');
    assert.equal(typeof error.details.mfa_token, 'string');
    assert.equal(res.headers['set-cookie'], undefined, 'no session before the second factor');
    return error.details.mfa_token;
  }

  test('without otp the password alone is not enough: 401 mfa_required with an mfa_token', async () => {
    const { user, password } = await mfaUser();
    const token = await firstStep(user.username, password);
    const me = await r.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.statusCode, 401, 'the mfa_token is no access token');
  });

  test('one step: the password with a current otp signs in; the same otp replayed is refused', async () => {
    const { user, password, secret } = await mfaUser();
    nextStep();
    const otp = codeAt(secret, clock);
    const res = await login(user.username, password, otp);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.user.id, user.id);
    assert.equal(typeof body.access_token, 'string');
    assert.equal(typeof body.refresh_token, 'string');
    const me = await r.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${body.access_token}` } });
    assert.equal(me.statusCode, 200);

    const replay = await login(user.username, password, otp);
    assert.equal(replay.statusCode, 401);
    assert.notEqual(replay.json().error.code, 'mfa_required');
  });

  test('one step: a wrong otp is refused', async () => {
    const { user, password, secret } = await mfaUser();
    nextStep();
    const wrong = codeAt(secret, clock) === '000000' ? '111111' : '000000';
    assert.equal((await login(user.username, password, wrong)).statusCode, 401);
  });

  test('two steps: the mfa_token and a current code sign in; the same code on a second login is refused', async () => {
    const { user, password, secret } = await mfaUser();
    nextStep();
    const code = codeAt(secret, clock);
    const res = await totpLogin(await firstStep(user.username, password), code);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().user.id, user.id);
    assert.equal(typeof res.json().access_token, 'string');
    assert.match(String(res.headers['set-cookie']), /rampart_session=/);

    const replay = await totpLogin(await firstStep(user.username, password), code);
    assert.equal(replay.statusCode, 401);
    assert.deepEqual(Object.keys(replay.json()), ['error']);
  });

  test('two steps: a recovery code signs in once', async () => {
    const { user, password, recoveryCodes } = await mfaUser();
    const first = await totpLogin(await firstStep(user.username, password), recoveryCodes[0]);
    assert.equal(first.statusCode, 200, first.body);
    const again = await totpLogin(await firstStep(user.username, password), recoveryCodes[0]);
    assert.equal(again.statusCode, 401);
  });

  test('two steps: the mfa_token expires after five minutes', async () => {
    const { user, password, secret } = await mfaUser();
    const token = await firstStep(user.username, password);
    clock = new Date(clock.getTime() + 6 * 60_000);
    const res = await totpLogin(token, codeAt(secret, clock));
    assert.equal(res.statusCode, 401);
  });
});

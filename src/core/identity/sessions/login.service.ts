import { errors, RampartError } from '../../errors.js';
import type { IdentityDeps } from '../index.js';
import type { UserRow } from '../identity.tables.js';
import type { ClientContext, Keyset, LoginResult, LoginService, MfaService, Passwords, SessionService, UserService } from '../identity.types.js';
import type { Lockout, ThrottleVerdict } from './lockout.js';

export interface LoginDeps extends IdentityDeps {
  users: UserService;
  passwords: Passwords;
  lockout: Lockout;
  mfa: MfaService;
  sessions: SessionService;
  keyset: Keyset;
}

/** The codes a failed login answers with (the route audits by them). */
export const LOGIN_ERRORS = {
  invalidCredentials: 'invalid_credentials',
  accountLocked: 'account_locked',
  mfaRequired: 'mfa_required',
  invalidOtp: 'invalid_otp',
} as const;

const invalidCredentials = () =>
  new RampartError({ code: LOGIN_ERRORS.invalidCredentials, status: 401, message: 'invalid username or password' });

const invalidOtp = () => new RampartError({ code: LOGIN_ERRORS.invalidOtp, status: 401, message: 'invalid TOTP or recovery code' });

/** 429 with Retry-After; scope says which counter is waiting (docs/identity.md), never whether the user exists. */
const accountLocked = ({ retryAfterSeconds: seconds, scope }: ThrottleVerdict) =>
  new RampartError({
    code: LOGIN_ERRORS.accountLocked,
    status: 429,
    message: `too many failed logins; try again in ${seconds} s`,
    retryable: true,
    details: { retry_after_seconds: seconds, scope },
    headers: { 'retry-after': String(seconds) },
  });

/**
 * Password login, with TOTP in one step (otp in the body) or two (mfa_required, then completeMfa). Every failure
 * counts towards the throttling of the submitted username from the client's address (lockout.ts), existing or
 * not, and an unknown user costs the same argon2 verify as a known one, so neither the answer nor its timing
 * tells whether a username exists.
 */
export function createLoginService(deps: LoginDeps): LoginService {
  const { users, passwords, lockout, mfa, sessions, keyset } = deps;

  const attemptOf = (username: string, client: ClientContext) => ({ username, clientIp: client.clientIp });

  async function assertNotThrottled(username: string, client: ClientContext): Promise<void> {
    const verdict = await lockout.check(attemptOf(username, client));
    if (verdict.retryAfterSeconds > 0) throw accountLocked(verdict);
  }

  /** Counts the failure and answers with the error, or with 429 when this failure earned a wait. */
  async function fail(username: string, client: ClientContext, error: RampartError): Promise<never> {
    const verdict = await lockout.recordFailure(attemptOf(username, client));
    throw verdict.retryAfterSeconds > 0 ? accountLocked(verdict) : error;
  }

  async function succeed(row: UserRow, method: 'password' | 'mfa', client: ClientContext): Promise<LoginResult> {
    await lockout.recordSuccess(attemptOf(row.username, client));
    await users.recordLogin(row.id);
    const pair = await sessions.open(row.id, { ...client, method });
    return { ...pair, user: await users.get(row.id) };
  }

  async function checkSecondFactor(row: UserRow, code: string, client: ClientContext): Promise<LoginResult> {
    if (!(await mfa.checkCode(row.id, code))) return fail(row.username, client, invalidOtp());
    return succeed(row, 'mfa', client);
  }

  async function mfaRequired(row: UserRow): Promise<never> {
    const { token } = await keyset.sign({ sub: row.id, typ: 'mfa' }, deps.config.auth.mfa_token_ttl_s);
    throw new RampartError({
      code: LOGIN_ERRORS.mfaRequired,
      status: 401,
      message: 'a TOTP code is required: send it with the mfa_token to POST /api/v1/auth/totp/login, or as otp with the password',
      details: { mfa_token: token },
    });
  }

  return {
    async login(input, client) {
      // The pool is waited for once before the hash and once after it, never per query, and no connection is held
      // while the hash runs: under load each wait is long.
      const row = await deps.db.oneConnection(async () => {
        await assertNotThrottled(input.username, client);
        return users.findRowByUsername(input.username);
      });
      const verified = row?.password_hash
        ? await passwords.verify(row.password_hash, input.password)
        : await passwords.verifyDummy(input.password).then(() => false);
      return deps.db.oneConnection(async () => {
        // A user who may not sign in gets the answer of a wrong password: the status is not revealed.
        if (!row || !verified || row.status !== 'active') return fail(input.username, client, invalidCredentials());
        if (!deps.db.dialect.fromBool(row.mfa_enabled)) return succeed(row, 'password', client);
        if (!input.otp) return mfaRequired(row);
        return checkSecondFactor(row, input.otp, client);
      });
    },

    async completeMfa(mfaToken, code, client) {
      const claims = await keyset.verify(mfaToken).catch(() => undefined);
      if (claims?.typ !== 'mfa') throw errors.unauthorized('invalid or expired mfa_token');
      const user = await users.get(claims.sub).catch(() => undefined);
      const row = user && (await users.findRowByUsername(user.username));
      if (!row || row.status !== 'active') throw errors.unauthorized('invalid or expired mfa_token');
      await assertNotThrottled(row.username, client);
      return checkSecondFactor(row, code, client);
    },
  };
}

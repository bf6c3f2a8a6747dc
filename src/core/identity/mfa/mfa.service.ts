import { randomUUID } from 'node:crypto';
import { errors } from '../../errors.js';
import type { IdentityDeps } from '../index.js';
import { sealContext } from '../../secrets/sealed-columns.js';
import { identitySealedColumns } from '../identity.sealed.js';
import { IDENTITY_CHANGED, type IdentityChange, type MfaService, type UserService } from '../identity.types.js';
import { generateRecoveryCodes, hashRecoveryCode, isRecoveryCode } from './recovery-codes.js';
import { looksLikeTotpCode, matchTotpStep, newTotpSecret, provisioningUri } from './totp.js';

const activeContext = sealContext(identitySealedColumns.totpSecret);
const pendingContext = sealContext(identitySealedColumns.totpPendingSecret);

/**
 * TOTP enrollment, activation and checks, plus recovery codes. Secrets are sealed at rest; each time step is
 * accepted once per user (totp_last_step only moves forward), and a recovery code once, both enforced by
 * conditional updates so two requests racing with one code cannot both pass. Codes are never logged.
 */
export function createMfaService(deps: IdentityDeps & { users: UserService }): MfaService {
  const { db, secrets } = deps;
  const bool = db.dialect.toBool;
  const nowIso = () => deps.now().toISOString();
  const changed = (userId: string) => deps.events.publish<IdentityChange>(IDENTITY_CHANGED, { user_id: userId });

  async function userRow(userId: string) {
    const row = await db.kysely
      .selectFrom('users')
      .select(['id', 'username', 'mfa_enabled', 'totp_secret', 'totp_pending_secret', 'totp_last_step'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!row) throw errors.notFound('user not found');
    return { ...row, mfa_enabled: db.dialect.fromBool(row.mfa_enabled) };
  }

  async function useTotpCode(userId: string, sealedSecret: string, lastStep: number | null, code: string): Promise<boolean> {
    const step = matchTotpStep(secrets.openString(sealedSecret, activeContext), code, deps.now());
    if (step === null || (lastStep !== null && step <= lastStep)) return false;
    const result = await db.kysely
      .updateTable('users')
      .set({ totp_last_step: step })
      .where('id', '=', userId)
      .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async function useRecoveryCode(userId: string, code: string): Promise<boolean> {
    if (!isRecoveryCode(code)) return false;
    const result = await db.kysely
      .updateTable('recovery_codes')
      .set({ used_at: nowIso() })
      .where('user_id', '=', userId)
      .where('code_hash', '=', hashRecoveryCode(code))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async function replaceRecoveryCodes(userId: string, issued?: string[]): Promise<string[]> {
    const codes = issued ?? generateRecoveryCodes();
    const created_at = nowIso();
    await db.kysely.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    await db.kysely
      .insertInto('recovery_codes')
      .values(codes.map((code) => ({ id: randomUUID(), user_id: userId, code_hash: hashRecoveryCode(code), created_at, used_at: null })))
      .execute();
    return codes;
  }

  const service: MfaService = {
    async enroll(userId, opts = {}) {
      const user = await userRow(userId);
      if (user.mfa_enabled) throw errors.conflict('MFA is already enabled; disable it before enrolling again');
      const secret = newTotpSecret();
      // Codes issued now (AiFw's totp/setup) wait sealed beside the pending secret: verify stores them and answers them again.
      const recovery_codes = opts.recoveryCodes ? generateRecoveryCodes() : undefined;
      const pending = recovery_codes ? JSON.stringify({ secret, recovery_codes }) : secret;
      await db.kysely
        .updateTable('users')
        .set({ totp_pending_secret: secrets.seal(pending, pendingContext), updated_at: nowIso() })
        .where('id', '=', userId)
        .execute();
      return { secret, provisioning_uri: provisioningUri(secret, user.username), ...(recovery_codes ? { recovery_codes } : {}) };
    },

    async verify(userId, code) {
      const user = await userRow(userId);
      if (!user.totp_pending_secret) throw errors.badRequest('no TOTP enrollment in progress');
      const opened = secrets.openString(user.totp_pending_secret, pendingContext);
      // A base32 secret, or {secret, recovery_codes} when the enrollment issued the codes (enroll).
      const pending = opened.startsWith('{') ? (JSON.parse(opened) as { secret: string; recovery_codes: string[] }) : { secret: opened, recovery_codes: undefined };
      const secret = pending.secret;
      const step = matchTotpStep(secret, code, deps.now());
      if (step === null) throw errors.badRequest('invalid TOTP code');
      return db.transaction(async () => {
        // Only the enrollment this code was checked against: a concurrent enroll or verify leaves it unchanged.
        const result = await db.kysely
          .updateTable('users')
          .set({
            totp_secret: secrets.seal(secret, activeContext),
            totp_pending_secret: null,
            totp_last_step: step,
            mfa_enabled: bool(true),
            updated_at: nowIso(),
          })
          .where('id', '=', userId)
          .where('totp_pending_secret', '=', user.totp_pending_secret)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) throw errors.conflict('the TOTP enrollment changed meanwhile; enroll again');
        const recovery_codes = await replaceRecoveryCodes(userId, pending.recovery_codes);
        await changed(userId);
        return { recovery_codes };
      });
    },

    async disable(userId, how) {
      const user = await userRow(userId);
      if ('code' in how) {
        if (!user.mfa_enabled) throw errors.badRequest('MFA is not enabled');
        if (!(await service.checkCode(userId, how.code))) throw errors.badRequest('invalid TOTP or recovery code');
      }
      await db.transaction(async () => {
        await db.kysely
          .updateTable('users')
          .set({ totp_secret: null, totp_pending_secret: null, totp_last_step: null, mfa_enabled: bool(false), updated_at: nowIso() })
          .where('id', '=', userId)
          .execute();
        await db.kysely.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
        await changed(userId);
      });
    },

    async checkCode(userId, code) {
      const user = await userRow(userId);
      if (!user.mfa_enabled || !user.totp_secret) return false;
      const typed = code.replace(/\s/g, '');
      if (looksLikeTotpCode(typed)) return useTotpCode(userId, user.totp_secret, user.totp_last_step, typed);
      return useRecoveryCode(userId, typed);
    },
  };
  return service;
}

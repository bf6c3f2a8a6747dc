import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '../../../core/db/database.js';
import { errors } from '../../../core/errors.js';

/** Crockford's base32: no I, L, O or U, so a code read aloud or typed from a screen survives. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 16;

/** 16 symbols of 5 random bits each (a byte's low 5 bits: 256 is a multiple of 32, so no bias): 80 bits. */
export function newEnrollmentCode(): string {
  return Array.from(randomBytes(CODE_LENGTH), (b) => ALPHABET[b & 31]).join('');
}

/** Codes are stored as sha256 only; input is matched case-insensitively, ignoring spaces and dashes. */
export const hashEnrollmentCode = (code: string) =>
  createHash('sha256').update(String(code).replace(/[\s-]/g, '').toUpperCase()).digest('hex');

/** One-time enrollment codes: shown once, stored hashed, redeemable once before they expire. */
export function createEnrollmentCodes(db: Database, now: () => Date) {
  return {
    async create(nodeId: string, expiresInHours: number, createdBy: string | null): Promise<{ code: string; expires_at: string }> {
      const code = newEnrollmentCode();
      const at = now();
      const expires_at = new Date(at.getTime() + expiresInHours * 3_600_000).toISOString();
      await db.kysely
        .insertInto('overlay_enrollment_codes')
        .values({ id: randomUUID(), node_id: nodeId, code_hash: hashEnrollmentCode(code), expires_at, used_at: null, created_by: createdBy, created_at: at.toISOString() })
        .execute();
      return { code, expires_at };
    },

    /**
     * Marks the code used and returns its node: 404 for a code never issued, 400 for one used or expired. The
     * update only succeeds while used_at is null, so of two concurrent redemptions exactly one wins.
     */
    async redeem(code: string): Promise<string> {
      const row = await db.kysely.selectFrom('overlay_enrollment_codes').selectAll().where('code_hash', '=', hashEnrollmentCode(code)).executeTakeFirst();
      if (!row) throw errors.notFound('Invalid enrollment code');
      if (row.used_at !== null) throw errors.badRequest('This enrollment code has already been used');
      const at = now().toISOString();
      if (row.expires_at <= at) throw errors.badRequest('This enrollment code has expired');
      const result = await db.kysely
        .updateTable('overlay_enrollment_codes')
        .set({ used_at: at })
        .where('id', '=', row.id)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw errors.badRequest('This enrollment code has already been used');
      return row.node_id;
    },
  };
}

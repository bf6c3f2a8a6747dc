import type { Database } from '../../db/database.js';
import type { SigningKeyRow, SigningKeyStatus } from '../identity.tables.js';

/** The signing_keys table. public_jwk is JSON (jsonb on PostgreSQL); private_key a sealed PKCS#8 PEM. */
export function createSigningKeyStore(db: Database) {
  return {
    list(): Promise<SigningKeyRow[]> {
      return db.kysely.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute();
    },

    find(kid: string): Promise<SigningKeyRow | undefined> {
      return db.kysely.selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
    },

    /**
     * Inserts unless the kid is taken; false when another node got there first. ON CONFLICT rather than catching
     * the error, because on PostgreSQL a failed statement would abort the transaction the caller may be in.
     */
    async insertIfAbsent(row: SigningKeyRow): Promise<boolean> {
      const inserted = await db.kysely
        .insertInto('signing_keys')
        .values(row)
        .onConflict((oc) => oc.column('kid').doNothing())
        .returning('kid')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    /** Every active key except one becomes status (rotation demotes the previous active key). */
    async demoteActive(exceptKid: string, status: SigningKeyStatus): Promise<void> {
      await db.kysely.updateTable('signing_keys').set({ status }).where('status', '=', 'active').where('kid', '!=', exceptKid).execute();
    },

    async retire(kid: string, at: string): Promise<void> {
      await db.kysely.updateTable('signing_keys').set({ status: 'retired', retired_at: at }).where('kid', '=', kid).execute();
    },
  };
}

export type SigningKeyStore = ReturnType<typeof createSigningKeyStore>;

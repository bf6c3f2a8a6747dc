import { sql } from 'kysely';
import type { Database } from '../../db/database.js';

/** login_failures: failed logins per submitted username, and the lock they led to. */
export function createLoginFailureStore(db: Database) {
  return {
    async lockedUntil(username: string): Promise<string | null> {
      const row = await db.kysely.selectFrom('login_failures').select('locked_until').where('username', '=', username).executeTakeFirst();
      return row?.locked_until ?? null;
    },

    /** Forgets a lock that has run out, or failures older than the counting window. */
    async resetStale(username: string, now: string, windowStart: string): Promise<void> {
      await db.kysely
        .deleteFrom('login_failures')
        .where('username', '=', username)
        .where((eb) =>
          eb.or([
            eb.and([eb('locked_until', 'is not', null), eb('locked_until', '<=', now)]),
            eb.and([eb('locked_until', 'is', null), eb('first_failure_at', '<=', windowStart)]),
          ]),
        )
        .execute();
    },

    /** One more failure, atomically (two nodes may count at once); returns the count. */
    async increment(username: string, now: string): Promise<number> {
      const row = await db.kysely
        .insertInto('login_failures')
        .values({ username, failures: 1, first_failure_at: now, locked_until: null })
        .onConflict((oc) => oc.column('username').doUpdateSet({ failures: sql`login_failures.failures + 1` }))
        .returning('failures')
        .executeTakeFirstOrThrow();
      return Number(row.failures);
    },

    /** Locks unless already locked; false when another request locked it first. */
    async lock(username: string, until: string): Promise<boolean> {
      const result = await db.kysely
        .updateTable('login_failures')
        .set({ locked_until: until })
        .where('username', '=', username)
        .where('locked_until', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async clear(username: string): Promise<void> {
      await db.kysely.deleteFrom('login_failures').where('username', '=', username).execute();
    },
  };
}

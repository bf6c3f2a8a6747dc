import { sql } from 'kysely';
import type { Database } from '../../db/database.js';

/** login_throttle: failed logins per throttle key, and how long that key must wait before its next attempt. */
export function createLoginThrottleStore(db: Database) {
  return {
    /** Until when the key must wait, or null when it need not. */
    async blockedUntil(key: string, now: string): Promise<string | null> {
      const row = await db.kysely
        .selectFrom('login_throttle')
        .select('blocked_until')
        .where('key', '=', key)
        .where('blocked_until', '>', now)
        .executeTakeFirst();
      return row?.blocked_until ?? null;
    },

    /** Forgets every key whose last failure is older than forgetBefore, so spraying names cannot grow the table. */
    async forgetStale(forgetBefore: string): Promise<void> {
      await db.kysely.deleteFrom('login_throttle').where('last_failure_at', '<=', forgetBefore).execute();
    },

    /** One more failure, atomically (two nodes may count at once); returns the count. */
    async increment(key: string, now: string): Promise<number> {
      const row = await db.kysely
        .insertInto('login_throttle')
        .values({ key, failures: 1, last_failure_at: now, blocked_until: null })
        .onConflict((oc) => oc.column('key').doUpdateSet({ failures: sql`login_throttle.failures + 1`, last_failure_at: now }))
        .returning('failures')
        .executeTakeFirstOrThrow();
      return Number(row.failures);
    },

    async block(key: string, until: string): Promise<void> {
      await db.kysely.updateTable('login_throttle').set({ blocked_until: until }).where('key', '=', key).execute();
    },

    async clear(key: string): Promise<void> {
      await db.kysely.deleteFrom('login_throttle').where('key', '=', key).execute();
    },
  };
}

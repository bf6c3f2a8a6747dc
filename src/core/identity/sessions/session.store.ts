import type { Database } from '../../db/database.js';
import type { RefreshTokenRow, SessionRow } from '../identity.tables.js';

/** The sessions table and each session's family of refresh tokens (stored as sha256 hex only). */
export function createSessionStore(db: Database) {
  return {
    async insert(row: SessionRow): Promise<void> {
      await db.kysely.insertInto('sessions').values(row).execute();
    },

    find(id: string): Promise<SessionRow | undefined> {
      return db.kysely.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** Newest first. */
    listByUser(userId: string): Promise<SessionRow[]> {
      return db.kysely.selectFrom('sessions').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id').execute();
    },

    async touch(id: string, at: string, client: { client_ip: string | null; user_agent: string | null }): Promise<void> {
      await db.kysely.updateTable('sessions').set({ last_seen_at: at, ...client }).where('id', '=', id).execute();
    },

    /** Returns whether the session was live (and is now revoked). */
    async revoke(id: string, at: string, reason: string): Promise<boolean> {
      const result = await db.kysely
        .updateTable('sessions')
        .set({ revoked_at: at, revoked_reason: reason })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    /** Revokes the user's live sessions but one; returns the ids revoked. */
    async revokeAllForUser(userId: string, at: string, reason: string, exceptId?: string): Promise<string[]> {
      let query = db.kysely
        .updateTable('sessions')
        .set({ revoked_at: at, revoked_reason: reason })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', at);
      if (exceptId) query = query.where('id', '!=', exceptId);
      const rows = await query.returning('id').execute();
      return rows.map((row) => row.id);
    },

    async userIsActive(userId: string): Promise<boolean> {
      const row = await db.kysely.selectFrom('users').select('status').where('id', '=', userId).executeTakeFirst();
      return row?.status === 'active';
    },

    async insertRefreshToken(row: RefreshTokenRow): Promise<void> {
      await db.kysely.insertInto('refresh_tokens').values(row).execute();
    },

    findRefreshToken(hash: string): Promise<RefreshTokenRow | undefined> {
      return db.kysely.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
    },

    /** Marks a token used unless it already was: false when another request exchanged it first. */
    async useRefreshToken(id: string, at: string): Promise<boolean> {
      const result = await db.kysely.updateTable('refresh_tokens').set({ used_at: at }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;

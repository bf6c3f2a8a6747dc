import type { Expression } from 'kysely';
import type { Database } from '../../db/database.js';
import type { UserRow, UserStatus } from '../identity.tables.js';

export type UserChanges = Partial<Pick<UserRow, 'email' | 'display_name' | 'status' | 'password_hash' | 'password_changed_at' | 'must_change_password'>>;

/** The users table. Rows carry the password hash: only the user service sees them. */
export function createUserStore(db: Database) {
  // Read by every GET auth/me: built and compiled once.
  const profile = db.prepare((k, id: string) =>
    k.selectFrom('users').select(['email', 'display_name', 'mfa_enabled', 'must_change_password']).where('id', '=', id),
  );
  return {
    async insert(row: UserRow): Promise<void> {
      await db.kysely.insertInto('users').values(row).execute();
    },

    byId: (id: string): Promise<UserRow | undefined> => db.kysely.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst(),

    profile: async (id: string) => (await profile(id))[0],
    byUsername: (username: string): Promise<UserRow | undefined> =>
      db.kysely.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst(),

    /** Emails are matched without regard to case; the oldest account wins when several share one. */
    byEmail(email: string, tenant?: string | null): Promise<UserRow | undefined> {
      let q = db.kysely.selectFrom('users').selectAll().where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()));
      if (tenant !== undefined) q = tenant === null ? q.where('tenant_id', 'is', null) : q.where('tenant_id', '=', tenant);
      return q.orderBy('created_at').executeTakeFirst();
    },

    async list(query: { limit: number; offset: number; search?: string; status?: UserStatus; scope?: string | null }): Promise<{ rows: UserRow[]; total: number }> {
      let base = db.kysely.selectFrom('users');
      if (query.scope) base = base.where('tenant_id', '=', query.scope);
      if (query.status) base = base.where('status', '=', query.status);
      if (query.search) {
        const pattern = `%${query.search}%`;
        // Nullable columns never match: LIKE on NULL is not true.
        const columns = ['username', 'email', 'display_name'] as const;
        base = base.where((eb) => eb.or(columns.map((c) => db.dialect.ilike(eb.ref(c) as Expression<string>, pattern))));
      }
      const rows = await base.selectAll().orderBy('username').limit(query.limit).offset(query.offset).execute();
      const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
      return { rows, total: Number(total) };
    },

    async update(id: string, changes: UserChanges, at: string): Promise<void> {
      await db.kysely.updateTable('users').set({ ...changes, updated_at: at }).where('id', '=', id).execute();
    },

    /** The update and the row as it now is, in one round trip; undefined when there is no such user. */
    updateReturning: (id: string, changes: UserChanges, at: string): Promise<UserRow | undefined> =>
      db.kysely.updateTable('users').set({ ...changes, updated_at: at }).where('id', '=', id).returningAll().executeTakeFirst(),

    /** A login is not an edit of the account: updated_at stays. */
    async recordLogin(id: string, at: string): Promise<void> {
      await db.kysely.updateTable('users').set({ last_login_at: at }).where('id', '=', id).execute();
    },

    tenantOf: async (id: string): Promise<{ tenant_id: string | null } | undefined> =>
      db.kysely.selectFrom('users').select('tenant_id').where('id', '=', id).executeTakeFirst() as Promise<{ tenant_id: string | null } | undefined>,

    async setTenant(id: string, tenant: string | null): Promise<number> {
      const result = await db.kysely.updateTable('users').set({ tenant_id: tenant }).where('id', '=', id).executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async delete(id: string): Promise<void> {
      await db.kysely.deleteFrom('users').where('id', '=', id).execute();
    },

    async count(): Promise<number> {
      const { n } = await db.kysely.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(n);
    },
  };
}

export type UserStore = ReturnType<typeof createUserStore>;

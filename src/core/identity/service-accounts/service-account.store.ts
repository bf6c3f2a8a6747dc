import { paginate, type Page, type PageRequest } from '../../db/paginate.js';
import type { Database } from '../../db/database.js';
import type { ServiceAccountRow, ServiceAccountTokenRow } from '../identity.tables.js';

/** service_accounts and service_account_tokens. */
export function createServiceAccountStore(db: Database) {
  return {
    list: (page: PageRequest): Promise<Page<ServiceAccountRow>> =>
      paginate(db.kysely.selectFrom('service_accounts').selectAll().orderBy('name').orderBy('id'), page),
    get: (id: string): Promise<ServiceAccountRow | undefined> =>
      db.kysely.selectFrom('service_accounts').selectAll().where('id', '=', id).executeTakeFirst(),
    findByName: (name: string): Promise<ServiceAccountRow | undefined> =>
      db.kysely.selectFrom('service_accounts').selectAll().where('name', '=', name).executeTakeFirst(),
    async insert(row: ServiceAccountRow): Promise<void> {
      await db.kysely.insertInto('service_accounts').values(row).execute();
    },
    async update(id: string, patch: Partial<Omit<ServiceAccountRow, 'id' | 'created_at' | 'created_by'>>): Promise<void> {
      await db.kysely.updateTable('service_accounts').set(patch).where('id', '=', id).execute();
    },

    tokens: (accountId: string, page: PageRequest): Promise<Page<ServiceAccountTokenRow>> =>
      paginate(
        db.kysely.selectFrom('service_account_tokens').selectAll().where('service_account_id', '=', accountId).orderBy('created_at', 'desc').orderBy('id'),
        page,
      ),
    token: (id: string): Promise<ServiceAccountTokenRow | undefined> =>
      db.kysely.selectFrom('service_account_tokens').selectAll().where('id', '=', id).executeTakeFirst(),
    async insertToken(row: ServiceAccountTokenRow): Promise<void> {
      await db.kysely.insertInto('service_account_tokens').values(row).execute();
    },
    /** Revokes one token of the account, or all of them when tokenId is omitted; those already revoked keep their time. */
    async revokeTokens(accountId: string, at: string, tokenId?: string): Promise<void> {
      let q = db.kysely
        .updateTable('service_account_tokens')
        .set({ revoked_at: at })
        .where('service_account_id', '=', accountId)
        .where('revoked_at', 'is', null);
      if (tokenId !== undefined) q = q.where('id', '=', tokenId);
      await q.execute();
    },
    async touchToken(id: string, at: string): Promise<void> {
      await db.kysely.updateTable('service_account_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
    },
  };
}

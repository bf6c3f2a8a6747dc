import { paginate, type Page, type PageRequest } from '../../db/paginate.js';
import type { Database } from '../../db/database.js';
import type { ApiKeyRow } from '../identity.tables.js';

/** api_keys. */
export function createApiKeyStore(db: Database) {
  return {
    async insert(row: ApiKeyRow): Promise<void> {
      await db.kysely.insertInto('api_keys').values(row).execute();
    },
    get: (id: string): Promise<ApiKeyRow | undefined> => db.kysely.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst(),
    bySecretHash: (hash: string): Promise<ApiKeyRow | undefined> =>
      db.kysely.selectFrom('api_keys').selectAll().where('secret_hash', '=', hash).executeTakeFirst(),
    list(createdBy?: string): Promise<ApiKeyRow[]> {
      let q = db.kysely.selectFrom('api_keys').selectAll();
      if (createdBy !== undefined) q = q.where('created_by', '=', createdBy);
      return q.orderBy('created_at', 'desc').orderBy('id').execute();
    },
    listPage(page: PageRequest, createdBy?: string, scope?: string | null): Promise<Page<ApiKeyRow>> {
      let base = db.kysely.selectFrom('api_keys');
      if (createdBy !== undefined) base = base.where('created_by', '=', createdBy);
      // A key follows its owner: a tenant's keys are those its users made.
      if (scope) base = base.where('created_by', 'in', db.kysely.selectFrom('users').select('id').where('tenant_id', '=', scope));
      return paginate(base.selectAll().orderBy('created_at', 'desc').orderBy('id'), page);
    },
    async revoke(id: string, at: string): Promise<void> {
      await db.kysely.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    },
    async touch(id: string, at: string): Promise<void> {
      await db.kysely.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
    },
    async creatorStatus(userId: string): Promise<string | undefined> {
      const row = await db.kysely.selectFrom('users').select('status').where('id', '=', userId).executeTakeFirst();
      return row?.status;
    },
  };
}

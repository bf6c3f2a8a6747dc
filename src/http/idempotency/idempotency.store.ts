import type { Database } from '../../core/db/database.js';
import type { Migration } from '../../core/db/migrator.js';

export interface IdempotencyRow {
  actor: string;
  key: string;
  request_hash: string;
  /** in_progress while the first request runs; completed once its 2xx response is stored. */
  state: 'in_progress' | 'completed';
  status_code: number | null;
  response_body: string | null;
  response_type: string | null;
  created_at: string;
  expires_at: string;
}

declare module '../../core/db/tables.js' {
  interface Tables {
    idempotency_keys: IdempotencyRow;
  }
}

export const idempotencyMigrations: Migration[] = [
  {
    name: '0001_idempotency_keys',
    async up(db, d) {
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('response_body', 'text')
        .addColumn('response_type', 'text')
        .addColumn('created_at', d.types.timestamp, (c) => c.notNull())
        .addColumn('expires_at', d.types.timestamp, (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['actor', 'key'])
        .execute();
      await db.schema.createIndex('idempotency_keys_expiry').on('idempotency_keys').column('expires_at').execute();
    },
  },
];

export function createIdempotencyStore(db: Database) {
  return {
    async find(actor: string, key: string): Promise<IdempotencyRow | undefined> {
      return db.kysely.selectFrom('idempotency_keys').selectAll().where('actor', '=', actor).where('key', '=', key).executeTakeFirst();
    },

    /** Claims a key for a first request; false when another request holds it already. */
    async claim(row: Pick<IdempotencyRow, 'actor' | 'key' | 'request_hash' | 'created_at' | 'expires_at'>): Promise<boolean> {
      const result = await db.kysely
        .insertInto('idempotency_keys')
        .values({ ...row, state: 'in_progress', status_code: null, response_body: null, response_type: null })
        .onConflict((oc) => oc.columns(['actor', 'key']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    async complete(actor: string, key: string, response: { status: number; body: string; type: string }): Promise<void> {
      await db.kysely
        .updateTable('idempotency_keys')
        .set({ state: 'completed', status_code: response.status, response_body: response.body, response_type: response.type })
        .where('actor', '=', actor)
        .where('key', '=', key)
        .execute();
    },

    /** Forgets a key whose request failed, so the client may retry with it. */
    async release(actor: string, key: string): Promise<void> {
      await db.kysely.deleteFrom('idempotency_keys').where('actor', '=', actor).where('key', '=', key).execute();
    },

    /** Removes expired keys; returns how many. */
    async sweep(now: string): Promise<number> {
      const result = await db.kysely.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;

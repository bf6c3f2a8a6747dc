import type { Database } from '../../../core/db/database.js';

/**
 * Locks a network's row for the rest of the current transaction on PostgreSQL, so checks such as "is this the
 * last owner" and the write they guard cannot interleave with another request's; SQLite has one writer already.
 */
export async function lockNetworkRow(db: Database, networkId: string): Promise<void> {
  if (db.dialect.name !== 'postgres') return;
  await db.kysely.selectFrom('overlay_networks').select('id').where('id', '=', networkId).forUpdate().execute();
}

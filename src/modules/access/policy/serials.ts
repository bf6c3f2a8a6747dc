import type { Database } from '../../../core/db/database.js';

export type SerialKind = 'bundle' | 'spc' | 'revocations' | 'anchors';

/**
 * The next value of a per-tenant counter. The increment takes the row's write lock (PostgreSQL) or the one writer
 * (SQLite) until the caller's transaction ends, so serials never repeat or go backwards.
 */
export async function nextSerial(db: Database, tenantId: string, kind: SerialKind): Promise<number> {
  // Creating the row first (a no-op once it exists) keeps a lost creation race from aborting the transaction.
  await db.kysely
    .insertInto('access_policy_serials')
    .values({ tenant_id: tenantId, kind, value: 0 })
    .onConflict((oc) => oc.columns(['tenant_id', 'kind']).doNothing())
    .execute();
  const bumped = await db.kysely
    .updateTable('access_policy_serials')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', kind)
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(bumped.value);
}

export async function currentSerial(db: Database, tenantId: string, kind: SerialKind): Promise<number> {
  const row = await db.kysely.selectFrom('access_policy_serials').select('value').where('tenant_id', '=', tenantId).where('kind', '=', kind).executeTakeFirst();
  return row ? Number(row.value) : 0;
}

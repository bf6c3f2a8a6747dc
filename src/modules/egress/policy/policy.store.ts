import { mapPage, paginate, type Page, type PageRequest } from '../../../core/db/paginate.js';
import { sql } from 'kysely';
import type { Database } from '../../../core/db/database.js';
import type { CompiledParts } from '../compiler/compiled.types.js';
import { createGenerationStore, type StoredGeneration } from './generation.store.js';
import './policy.tables.js';
import type { PolicyConfig, PolicyRecord, RecordMode } from './policy.types.js';
import { policyJson } from './policy-json.js';

export { GENERATIONS_KEPT } from './generation.store.js';
// Any fixed number: policy writers on every node take it, so generations are numbered and compiled one at a time.
const PG_POLICY_WRITE_LOCK = 0x45475057;

/** A record without its policy: what a write needs of the record it replaces (the policy is replaced whole). */
export type RecordHead = Omit<PolicyRecord, 'policy'>;

export function createPolicyStore(db: Database) {
  const toRecord = (row: { id: string; name: string | null; mode: string; policy: unknown; created_at: string; updated_at: string }): PolicyRecord => ({
    id: row.id,
    name: row.name,
    mode: row.mode as RecordMode,
    policy: db.dialect.fromJson<PolicyConfig>(row.policy),
    created_at: row.created_at,
    updated_at: row.updated_at,
  });
  const records = () => db.kysely.selectFrom('egress_policies').selectAll();
  const heads = () => db.kysely.selectFrom('egress_policies').select(['id', 'name', 'mode', 'created_at', 'updated_at']);
  const toHead = (row: { id: string; name: string | null; mode: string; created_at: string; updated_at: string }): RecordHead =>
    ({ id: row.id, name: row.name, mode: row.mode as RecordMode, created_at: row.created_at, updated_at: row.updated_at });
  const generations = createGenerationStore(() => db.kysely as any, db.dialect);

  return {
    /** Every record in creation order. */
    async list(): Promise<PolicyRecord[]> {
      return (await records().orderBy('created_at').orderBy('id').execute()).map(toRecord);
    },
    /** The record the gateway enforces, or null. */
    async active(): Promise<PolicyRecord | null> {
      const row = await records().where('active', '=', db.dialect.toBool(true)).executeTakeFirst();
      return row ? toRecord(row) : null;
    },
    /**
     * The active record when its policy may name kubernetes sources (its text mentions them), else null: the selector
     * loop asks every few seconds, and a policy without any is not read (a large one is megabytes to read and parse).
     */
    async activeMentioningKubernetes(): Promise<PolicyRecord | null> {
      const mentions = db.dialect.name === 'postgres' ? sql<boolean>`jsonb_path_exists(policy, '$.source_groups[*].sources.kubernetes')` : sql<boolean>`instr(policy, '"kubernetes"') > 0`;
      const row = await records().where('active', '=', db.dialect.toBool(true)).where(mentions).executeTakeFirst();
      return row ? toRecord(row) : null;
    },
    /**
     * Makes `id` the one active record (null: none). Only rows whose flag changes are updated: SQLite rewrites a
     * whole row, the policy's megabytes with it, on any update, and rewriting the active record twice per write
     * (cleared, then set again) cost twice what storing its new policy does.
     */
    async setActive(id: string | null): Promise<void> {
      let others = db.kysely.updateTable('egress_policies').set({ active: db.dialect.toBool(false) }).where('active', '=', db.dialect.toBool(true));
      if (id) others = others.where('id', '!=', id);
      await others.execute();
      if (id) await db.kysely.updateTable('egress_policies').set({ active: db.dialect.toBool(true) }).where('id', '=', id).where('active', '=', db.dialect.toBool(false)).execute();
    },
    /** The active record's id (its policy not read), or null. */
    async activeId(): Promise<string | null> {
      const row = await db.kysely.selectFrom('egress_policies').select('id').where('active', '=', db.dialect.toBool(true)).executeTakeFirst();
      return row?.id ?? null;
    },
    async exists(id: string): Promise<boolean> {
      return !!(await db.kysely.selectFrom('egress_policies').select('id').where('id', '=', id).executeTakeFirst());
    },
    async isActive(id: string): Promise<boolean> {
      const row = await db.kysely.selectFrom('egress_policies').select('active').where('id', '=', id).executeTakeFirst();
      return row ? db.dialect.fromBool(row.active) : false;
    },
    /** One page of records in creation order. */
    async listPage(page: PageRequest): Promise<Page<PolicyRecord>> {
      return mapPage(await paginate(records().orderBy('created_at').orderBy('id'), page), toRecord);
    },
    async get(id: string): Promise<PolicyRecord | null> {
      const row = await records().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : null;
    },
    /** Names compare trimmed and case-insensitively, as Neuwerk compares them. */
    async getByName(name: string): Promise<PolicyRecord | null> {
      const row = await records().where(sql`lower(name)`, '=', name.trim().toLowerCase()).executeTakeFirst();
      return row ? toRecord(row) : null;
    },
    /** The record without its policy (not read), or null. */
    async head(id: string): Promise<RecordHead | null> {
      const row = await heads().where('id', '=', id).executeTakeFirst();
      return row ? toHead(row) : null;
    },
    async headByName(name: string): Promise<RecordHead | null> {
      const row = await heads().where(sql`lower(name)`, '=', name.trim().toLowerCase()).executeTakeFirst();
      return row ? toHead(row) : null;
    },
    async activeHead(): Promise<RecordHead | null> {
      const row = await heads().where('active', '=', db.dialect.toBool(true)).executeTakeFirst();
      return row ? toHead(row) : null;
    },
    async insert(record: PolicyRecord): Promise<void> {
      await db.kysely.insertInto('egress_policies').values({ ...record, policy: policyJson(record.policy), active: db.dialect.toBool(false) }).execute();
    },
    async update(record: PolicyRecord): Promise<void> {
      await db.kysely
        .updateTable('egress_policies')
        .set({ name: record.name, mode: record.mode, policy: policyJson(record.policy), updated_at: record.updated_at })
        .where('id', '=', record.id)
        .execute();
    },
    async remove(id: string): Promise<boolean> {
      const result = await db.kysely.deleteFrom('egress_policies').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    /**
     * Serialises policy writes for the rest of the transaction: the active pointer must move over committed records only, and
     * generation numbers must not collide. SQLite has one writer already.
     */
    async lockWrites(): Promise<void> {
      if (db.dialect.name === 'postgres') await sql`select pg_advisory_xact_lock(${PG_POLICY_WRITE_LOCK})`.execute(db.kysely);
    },
    latestGenerationNumber: () => generations.latestNumber(),
    /** Adds a generation (content-addressed parts) and drops those older than the newest GENERATIONS_KEPT. */
    addGeneration: (parts: CompiledParts, createdAt: string): Promise<void> => generations.add(parts, createdAt),
    latestGeneration: (): Promise<StoredGeneration | null> => generations.get(),
    /** A kept generation by number; null when it was never stored or has been dropped. */
    generation: (generation: number): Promise<StoredGeneration | null> => generations.get(generation),
    generationNumbers: () => generations.numbers(),
    generationStorage: () => generations.size(),
  };
}

export type PolicyStore = ReturnType<typeof createPolicyStore>;

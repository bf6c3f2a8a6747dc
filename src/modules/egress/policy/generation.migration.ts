import { sql, type Kysely } from 'kysely';
import type { DialectHelpers } from '../../../core/db/dialect.js';
import { compileParts, type GroupCompilation } from '../compiler/compile.js';
import { CompileCache } from '../compiler/compile-cache.js';
import { createGenerationStore } from './generation.store.js';
import type { EffectivePolicy } from './policy.types.js';

/**
 * 0006: egress_generations rows held a full compiled copy and the effective policy each; they become manifests of
 * content-addressed parts. Each kept generation is compiled again from its effective policy (the compiler is pure,
 * so the parts say what the stored copy said; the data plane applies the newest one whole at start anyway). A
 * generation whose policy no longer compiles is kept whole, as one part, so nothing stored is lost.
 */
export async function upgradeGenerationStorage(db: Kysely<any>, d: DialectHelpers): Promise<void> {
  await db.schema
    .createTable('egress_generation_parts')
    .addColumn('hash', 'text', (c) => c.primaryKey())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('bytes', 'integer', (c) => c.notNull())
    .addColumn('last_generation', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('egress_generation_parts_last_generation').on('egress_generation_parts').column('last_generation').execute();
  await sql`alter table egress_generations rename to egress_generations_0005`.execute(db);
  await db.schema
    .createTable('egress_generations')
    .addColumn('generation', 'integer', (c) => c.primaryKey())
    .addColumn('manifest', 'text', (c) => c.notNull())
    .addColumn('created_at', d.types.timestamp, (c) => c.notNull())
    .execute();

  const store = createGenerationStore(() => db, d);
  const cache = new CompileCache<GroupCompilation>();
  const old = await db.selectFrom('egress_generations_0005').select('generation').orderBy('generation').execute();
  // One row at a time: each held a full compiled copy.
  for (const { generation } of old) {
    const row = await db.selectFrom('egress_generations_0005').selectAll().where('generation', '=', generation).executeTakeFirstOrThrow();
    const effective = d.fromJson<EffectivePolicy>(row.effective);
    const createdAt = String(row.created_at);
    let parts;
    try {
      parts = compileParts({ ...effective, generation: Number(generation) }, cache);
    } catch {
      await store.addWhole(Number(generation), { compiled: d.fromJson(row.compiled), effective }, createdAt);
      continue;
    }
    await store.add(parts, createdAt);
  }
  await db.schema.dropTable('egress_generations_0005').execute();
}

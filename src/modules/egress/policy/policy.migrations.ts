import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';
import { upgradeGenerationStorage } from './generation.migration.js';

/**
 * Policy records and compiled generations. egress_generations is the contract with the data-plane runtime: it
 * applies the row with the highest generation (compiled: a CompiledPolicy), and learns of new ones from the
 * `egress.policy.compiled` event. `effective` keeps the EffectivePolicy the row was compiled from (for the DNS
 * proxy, sysdump and tests). Only the newest generations are kept (generation.store.ts); since 0006 a row is a
 * manifest of content-addressed parts.
 */
export const policyMigrations: Migration[] = [
  {
    name: '0001_policies',
    async up(db, d) {
      const { uuid, timestamp: ts, json } = d.types;
      await db.schema
        .createTable('egress_policies')
        .addColumn('id', uuid, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('enforce', 'audit', 'disabled')`))
        .addColumn('policy', json, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('egress_generations')
        .addColumn('generation', 'integer', (c) => c.primaryKey())
        .addColumn('compiled', json, (c) => c.notNull())
        .addColumn('effective', json, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
    },
  },
  {
    // Neuwerk activates one record at a time (the last one written in enforce or audit mode), and its names are
    // optional. `active` marks that record; on upgrade the most recently updated enforce or audit record gets it.
    name: '0005_one_active_policy_optional_name',
    async up(db, d) {
      if (d.name === 'postgres') {
        await sql`alter table egress_policies alter column name drop not null`.execute(db);
      } else {
        // SQLite cannot drop NOT NULL in place: the table is rebuilt (it has no foreign keys pointing at it).
        await sql`alter table egress_policies rename to egress_policies_0001`.execute(db);
        await db.schema
          .createTable('egress_policies')
          .addColumn('id', d.types.uuid, (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.unique())
          .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('enforce', 'audit', 'disabled')`))
          .addColumn('policy', d.types.json, (c) => c.notNull())
          .addColumn('created_at', d.types.timestamp, (c) => c.notNull())
          .addColumn('updated_at', d.types.timestamp, (c) => c.notNull())
          .execute();
        await sql`insert into egress_policies select * from egress_policies_0001`.execute(db);
        await sql`drop table egress_policies_0001`.execute(db);
      }
      await db.schema.alterTable('egress_policies').addColumn('active', d.types.boolean, (c) => c.notNull().defaultTo(d.toBool(false))).execute();
      await sql`update egress_policies set active = ${d.toBool(true)} where id = (
        select id from egress_policies where mode <> 'disabled' order by updated_at desc, id desc limit 1)`.execute(db);
    },
  },
  {
    // Generations were stored as full compiled copies (about 10 MB each for a large policy); now as manifests of
    // content-addressed parts. Existing generations are converted (generation.migration.ts).
    name: '0006_generation_parts',
    up: upgradeGenerationStorage,
  },
];

import { sql } from 'kysely';
import type { Migration } from '../../../core/db/migrator.js';

/**
 * Policy records and compiled generations. egress_generations is the contract with the data-plane runtime: it
 * applies the row with the highest generation (compiled: a CompiledPolicy), and learns of new ones from the
 * `egress.policy.compiled` event. `effective` keeps the EffectivePolicy the row was compiled from (for the DNS
 * proxy, sysdump and tests). Only the newest generations are kept (policy.store.ts).
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
];

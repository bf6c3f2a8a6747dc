import type { RecordMode } from './policy.types.js';

/** Policy tables, typed for Kysely. json columns: JSON text on SQLite, jsonb on PostgreSQL (read with dialect.fromJson). */
export interface EgressPolicyRow {
  id: string;
  name: string;
  mode: RecordMode;
  /** The PolicyConfig as the client sent it (validated). */
  policy: unknown;
  created_at: string;
  updated_at: string;
}

export interface EgressGenerationRow {
  generation: number;
  /** A CompiledPolicy. */
  compiled: unknown;
  /** The EffectivePolicy it was compiled from. */
  effective: unknown;
  created_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    egress_policies: EgressPolicyRow;
    egress_generations: EgressGenerationRow;
  }
}

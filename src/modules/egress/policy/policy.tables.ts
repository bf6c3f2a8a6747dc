import type { RecordMode } from './policy.types.js';

/** Policy tables, typed for Kysely. json columns: JSON text on SQLite, jsonb on PostgreSQL (read with dialect.fromJson). */
export interface EgressPolicyRow {
  id: string;
  /** Optional, as in Neuwerk; unique (compared case-insensitively by the service) when set. */
  name: string | null;
  mode: RecordMode;
  /** The PolicyConfig as the client sent it (validated). */
  policy: unknown;
  created_at: string;
  updated_at: string;
  /** The one record the gateway enforces (Neuwerk's active policy); at most one row has it. */
  active: boolean | number;
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

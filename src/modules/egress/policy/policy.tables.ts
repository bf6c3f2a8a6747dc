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

/** One compiled generation: a manifest of content-addressed parts (generation.store.ts). */
export interface EgressGenerationRow {
  generation: number;
  /** JSON text of a Manifest: the hashes of the generation's frame and of each group's part, in order. */
  manifest: string;
  created_at: string;
}

/** A part of one or more generations, stored once: a compiled group (with its effective group) or a frame. */
export interface EgressGenerationPartRow {
  /** A hash of `body`. */
  hash: string;
  /** JSON text. */
  body: string;
  /** Bytes of `body`. */
  bytes: number;
  /** The newest generation using it: parts only dropped generations used are deleted with them. */
  last_generation: number;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    egress_policies: EgressPolicyRow;
    egress_generations: EgressGenerationRow;
    egress_generation_parts: EgressGenerationPartRow;
  }
}

import type { Migration } from '../../../core/db/migrator.js';

/** One row per gateway node: the generation its data plane runs and the last apply error. */
export interface EgressDataplaneStatusRow {
  node_id: string;
  generation: number;
  applied_at: string | null;
  error: string | null;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    egress_dataplane_status: EgressDataplaneStatusRow;
  }
}

export const dataplaneMigrations: Migration[] = [
  {
    name: '0002_dataplane',
    async up(db, d) {
      await db.schema
        .createTable('egress_dataplane_status')
        .addColumn('node_id', 'text', (c) => c.primaryKey())
        .addColumn('generation', 'integer', (c) => c.notNull())
        .addColumn('applied_at', d.types.timestamp)
        .addColumn('error', 'text')
        .execute();
    },
  },
];

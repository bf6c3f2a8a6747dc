import type { Migration } from '../../../core/db/migrator.js';

/** Pending flags (AiFw's firewall/nat/dns) and the stored metric series. */
export const frameMigrations: Migration[] = [
  {
    name: '0040_edge_frame_pending',
    async up(db, d) {
      await db.schema
        .createTable('edge_frame_pending')
        .addColumn('kind', 'text', (c) => c.primaryKey())
        .addColumn('marked_at', d.types.timestamp, (c) => c.notNull())
        .execute();
    },
  },
  {
    name: '0041_edge_frame_samples',
    async up(db, d) {
      await db.schema
        .createTable('edge_frame_samples')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('at', d.types.timestamp, (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('edge_frame_samples_pk', ['name', 'at'])
        .execute();
      await db.schema.createIndex('edge_frame_samples_at').on('edge_frame_samples').column('at').execute();
    },
  },
];

import type { Migration } from '../db/migrator.js';

/** Registered as module 'events'. The table is only written on PostgreSQL, but exists on both dialects. */
export const eventsMigrations: Migration[] = [
  {
    name: '0001_event_payloads',
    async up(db, d) {
      // Payloads too large for a NOTIFY, kept briefly for the other nodes to fetch. The JSON text is stored as
      // published (text, not jsonb) so every node parses exactly what the publisher serialized.
      await db.schema
        .createTable('event_payloads')
        .addColumn('id', d.types.uuid, (c) => c.primaryKey())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', d.types.timestamp, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('event_payloads_created').on('event_payloads').column('created_at').execute();
    },
  },
];

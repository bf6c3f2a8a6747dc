import type { Database } from '../db/database.js';

export interface EventPayloadRow {
  id: string;
  payload: string;
  created_at: string;
}

declare module '../db/tables.js' {
  interface Tables {
    event_payloads: EventPayloadRow;
  }
}

/** Large event payloads parked for the other nodes; rows are short-lived and pruned by age. */
export function createEventPayloadStore(db: Database) {
  return {
    /** Joins the current unit of work, so a rolled-back publish leaves no row behind. */
    async put(id: string, payload: string, createdAt: string): Promise<void> {
      await db.kysely.insertInto('event_payloads').values({ id, payload, created_at: createdAt }).execute();
    },
    async get(id: string): Promise<string | undefined> {
      const row = await db.kysely.selectFrom('event_payloads').select('payload').where('id', '=', id).executeTakeFirst();
      return row?.payload;
    },
    async pruneBefore(cutoff: string): Promise<number> {
      const result = await db.kysely.deleteFrom('event_payloads').where('created_at', '<', cutoff).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type EventPayloadStore = ReturnType<typeof createEventPayloadStore>;

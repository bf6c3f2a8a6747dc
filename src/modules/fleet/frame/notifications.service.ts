import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { isUuid } from '../../../core/db/ids.js';
import type { FleetNotificationRow } from './frame.tables.js';

export interface NotificationInput {
  userId: string;
  kind: string;
  severity: 'info' | 'low' | 'medium' | 'high' | 'critical';
  title: string;
  body?: string | null;
  link?: string | null;
}

export interface FeedItem {
  id: string;
  kind: string;
  severity: string;
  title: string;
  body: string | null;
  link: string | null;
  read: boolean;
  created_at: string;
  read_at: string | null;
}

/** The newest this many make the bell's drawer. */
const FEED_SIZE = 50;

/**
 * The per-user notification feed behind the bell. Other fleet parts (the alert engine) call record() for each
 * user who should hear of something; the UI reads the feed and marks items read.
 */
export function createNotificationService(core: Core) {
  // Read on each use: inside a unit of work it is that transaction's handle.
  const db = () => core.db.kysely;
  const now = () => core.now().toISOString();
  const item = (row: FleetNotificationRow): FeedItem => ({
    id: row.id, kind: row.kind, severity: row.severity, title: row.title, body: row.body, link: row.link,
    read: row.read_at !== null, created_at: row.created_at, read_at: row.read_at,
  });

  return {
    async record(input: NotificationInput): Promise<FeedItem> {
      const row: FleetNotificationRow = {
        id: randomUUID(), user_id: input.userId, kind: input.kind, severity: input.severity, title: input.title,
        body: input.body ?? null, link: input.link ?? null, created_at: now(), read_at: null,
      };
      await db().insertInto('fleet_notifications').values(row).execute();
      return item(row);
    },

    async feed(userId: string): Promise<{ items: FeedItem[]; unread_count: number }> {
      const rows = await db().selectFrom('fleet_notifications').selectAll().where('user_id', '=', userId)
        .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(FEED_SIZE).execute();
      const unread = await db().selectFrom('fleet_notifications').select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirstOrThrow();
      return { items: rows.map(item), unread_count: Number(unread.n) };
    },

    /** Another user's notification is as not found as a missing one. */
    async markRead(userId: string, id: string): Promise<void> {
      const found = isUuid(id) && (await db().selectFrom('fleet_notifications').select('id').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst());
      if (!found) throw errors.notFound(`notification ${id} not found`);
      await db().updateTable('fleet_notifications').set({ read_at: now() }).where('id', '=', id).where('read_at', 'is', null).execute();
    },

    async markAllRead(userId: string): Promise<number> {
      const result = await db().updateTable('fleet_notifications').set({ read_at: now() })
        .where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;

import type { Core } from '../../../core/index.js';
import './threat.tables.js';
import type { EgressThreatSilenceRow } from './threat.tables.js';
import type { FeedName, FeedStatus, Indicator, IndicatorType, SilenceKind, ThreatSilence } from './threat.types.js';

const toSilence = (row: EgressThreatSilenceRow): ThreatSilence => ({
  id: row.id,
  kind: row.kind as SilenceKind,
  indicator_type: (row.indicator_type as IndicatorType | null) ?? null,
  value: row.value,
  reason: row.reason,
  created_at: Number(row.created_at),
  created_by: row.created_by,
});

/** A feed's stored state: its last good indicators and the status of its last refresh. */
export interface StoredFeed {
  feed: FeedName;
  indicators: Indicator[];
  status: Omit<FeedStatus, 'feed' | 'enabled' | 'snapshot_age_seconds'>;
}

export function createThreatStore(core: Pick<Core, 'db'>) {
  const { db } = core;
  return {
    async listSilences(limit: number): Promise<ThreatSilence[]> {
      const rows = await db.kysely.selectFrom('egress_threat_silences').selectAll().orderBy('seq').orderBy('id').limit(limit).execute();
      return rows.map(toSilence);
    },
    async insertSilence(silence: ThreatSilence): Promise<void> {
      const last = await db.kysely.selectFrom('egress_threat_silences').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
      await db.kysely.insertInto('egress_threat_silences').values({ ...silence, seq: Number(last?.seq ?? 0) + 1 }).execute();
    },
    /** False when there was no such silence. */
    async deleteSilence(id: string): Promise<boolean> {
      const result = await db.kysely.deleteFrom('egress_threat_silences').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async countSilences(): Promise<number> {
      const row = await db.kysely.selectFrom('egress_threat_silences').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async loadFeeds(): Promise<StoredFeed[]> {
      const rows = await db.kysely.selectFrom('egress_threat_feeds').selectAll().execute();
      return rows.map((row) => ({
        feed: row.feed as FeedName,
        indicators: db.dialect.fromJson<Indicator[]>(row.indicators),
        status: db.dialect.fromJson<StoredFeed['status']>(row.status),
      }));
    },
    /** Only the statuses (no indicators): what GET /threats/feeds/status reads, on any node. */
    async loadFeedStatuses(): Promise<Map<FeedName, StoredFeed['status']>> {
      const rows = await db.kysely.selectFrom('egress_threat_feeds').select(['feed', 'status']).execute();
      return new Map(rows.map((row) => [row.feed as FeedName, db.dialect.fromJson<StoredFeed['status']>(row.status)]));
    },
    async saveFeed(feed: StoredFeed, at: Date): Promise<void> {
      const row = { feed: feed.feed, indicators: db.dialect.toJson(feed.indicators), status: db.dialect.toJson(feed.status), updated_at: at.toISOString() };
      await db.kysely
        .insertInto('egress_threat_feeds')
        .values(row)
        .onConflict((oc) => oc.column('feed').doUpdateSet({ indicators: row.indicators, status: row.status, updated_at: row.updated_at }))
        .execute();
    },
  };
}

export type ThreatStore = ReturnType<typeof createThreatStore>;

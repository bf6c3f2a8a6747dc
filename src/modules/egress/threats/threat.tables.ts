/** The threat-intelligence tables of the egress module (threat.migrations.ts). */
export interface EgressThreatSilenceRow {
  id: string;
  kind: string;
  indicator_type: string | null;
  value: string;
  reason: string | null;
  /** Unix seconds, as Neuwerk reports it. */
  created_at: number | string;
  created_by: string | null;
  /** One more than the highest when inserted: the listing order. */
  seq: number | string;
}

export interface EgressThreatFeedRow {
  feed: string;
  /** The feed's last good indicators (JSON array). */
  indicators: unknown;
  /** Its FeedStatus without the derived fields (JSON). */
  status: unknown;
  updated_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    egress_threat_silences: EgressThreatSilenceRow;
    egress_threat_feeds: EgressThreatFeedRow;
  }
}

/**
 * Neuwerk's threat-intelligence model (its openapi: ThreatIntelSettings, ThreatFinding, ThreatSilenceEntry,
 * ThreatFeedRefreshState), as Rampart serves it. Times are unix seconds.
 */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type ThreatSeverity = (typeof SEVERITIES)[number];

export const INDICATOR_TYPES = ['hostname', 'ip'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

export const OBSERVATION_LAYERS = ['dns', 'tls', 'l4'] as const;
export type ObservationLayer = (typeof OBSERVATION_LAYERS)[number];

export const MATCH_SOURCES = ['stream', 'backfill'] as const;
export type MatchSource = (typeof MATCH_SOURCES)[number];

/** Neuwerk's three baseline feeds, in the order it reports them. */
export const FEEDS = ['threatfox', 'urlhaus', 'spamhaus_drop'] as const;
export type FeedName = (typeof FEEDS)[number];

export const severityRank = (s: ThreatSeverity) => SEVERITIES.indexOf(s);

export interface FeedToggle {
  enabled: boolean;
  refresh_interval_secs: number;
}

export interface ThreatIntelSettings {
  enabled: boolean;
  alert_threshold: ThreatSeverity;
  baseline_feeds: Record<FeedName, FeedToggle>;
  remote_enrichment: { enabled: boolean };
}

/** One indicator as a feed lists it, normalized (lowercase hostname without the final dot; IPv4 or IPv4 CIDR). */
export interface Indicator {
  indicator: string;
  indicator_type: IndicatorType;
  feed: FeedName;
  severity: ThreatSeverity;
  confidence: number | null;
  tags: string[];
  reference_url: string | null;
}

export interface FeedHit {
  feed: string;
  severity: ThreatSeverity;
  confidence?: number;
  reference_url?: string;
  tags: string[];
}

export interface ThreatFinding {
  indicator: string;
  indicator_type: IndicatorType;
  observation_layer: ObservationLayer;
  match_source: MatchSource;
  source_group: string;
  severity: ThreatSeverity;
  confidence?: number;
  feed_hits: FeedHit[];
  first_seen: number;
  last_seen: number;
  count: number;
  sample_node_ids: string[];
  alertable: boolean;
  audit_links: string[];
  enrichment_status: 'not_requested' | 'queued' | 'running' | 'completed' | 'failed';
}

export const SILENCE_KINDS = ['exact', 'hostname_regex'] as const;
export type SilenceKind = (typeof SILENCE_KINDS)[number];

export interface ThreatSilence {
  id: string;
  kind: SilenceKind;
  indicator_type: IndicatorType | null;
  value: string;
  reason: string | null;
  created_at: number;
  created_by: string | null;
}

export type RefreshOutcome = 'success' | 'failed' | 'skipped';

/** Neuwerk's ThreatFeedStatusItem; `last_refresh_error` is Rampart's addition (why the last refresh failed). */
export interface FeedStatus {
  feed: FeedName;
  enabled: boolean;
  snapshot_age_seconds?: number;
  last_refresh_started_at?: number;
  last_refresh_completed_at?: number;
  last_successful_refresh_at?: number;
  last_refresh_outcome?: RefreshOutcome;
  last_refresh_error?: string;
  indicator_counts: { hostname: number; ip: number };
}

export interface FeedRefreshState {
  snapshot_version: number;
  snapshot_generated_at?: number;
  last_refresh_started_at?: number;
  last_refresh_completed_at?: number;
  last_successful_refresh_at?: number;
  last_refresh_outcome?: RefreshOutcome;
  feeds: FeedStatus[];
  disabled: boolean;
}

/** Something the gateway saw that may name a listed indicator. */
export interface Observation {
  indicator: string;
  indicator_type: IndicatorType;
  observation_layer: ObservationLayer;
  source_group: string;
  node_id: string;
  at: number;
}

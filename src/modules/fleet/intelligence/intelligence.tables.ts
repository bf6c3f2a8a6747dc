/** Discovery and intelligence rows; json columns are JSON text on SQLite and jsonb on PostgreSQL. */
export type EventSeverity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export interface FleetSystemInfoRow {
  host_id: string;
  /** DiscoveryFacts (discovery.parse.ts). */
  facts: string;
  collected_at: string;
}

export interface FleetIntelligenceStateRow {
  host_id: string;
  /** Snapshot: category -> its data, stale categories carried forward. */
  snapshot: string;
  /** category -> CategoryFreshness. */
  category_freshness: string;
  collected_at: string;
}

export interface FleetIntelligenceEventRow {
  id: string;
  host_id: string;
  event_code: string;
  severity: EventSeverity;
  detail: string;
  occurred_at: string;
  detected_at: string;
  correlation_id: string | null;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    fleet_system_info: FleetSystemInfoRow;
    fleet_intelligence_state: FleetIntelligenceStateRow;
    fleet_intelligence_events: FleetIntelligenceEventRow;
  }
}

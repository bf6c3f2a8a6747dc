import type { ThreatMatch } from './indicator-matcher.js';
import { severityRank, type IndicatorType, type MatchSource, type Observation, type ObservationLayer, type ThreatFinding, type ThreatSeverity } from './threat.types.js';

export interface ThreatFindingFilter {
  indicator_type?: IndicatorType[];
  severity?: ThreatSeverity[];
  source_group?: string[];
  observation_layer?: ObservationLayer[];
  feed?: string[];
  match_source?: MatchSource[];
  alertable_only?: boolean;
  since?: number;
  until?: number;
  limit: number;
}

const SAMPLE_NODES_MAX = 16;

/**
 * This node's threat findings, in memory, as Neuwerk keys them: one per indicator, observation layer, match
 * source and source group, with counts, first and last seen and sample node ids. At most `max`: the map is
 * kept in order of last update, so the entry seen longest ago is the one evicted.
 */
export function createThreatFindingsStore(max: number) {
  const findings = new Map<string, ThreatFinding>();
  let threshold: ThreatSeverity = 'high';
  const alertable = (s: ThreatSeverity) => severityRank(s) >= severityRank(threshold);

  return {
    record(observation: Observation, match: ThreatMatch): void {
      const key = [match.indicator_type, match.indicator, observation.observation_layer, 'stream', observation.source_group.toLowerCase()].join('|');
      const existing = findings.get(key);
      if (existing) {
        findings.delete(key);
        existing.count++;
        existing.first_seen = Math.min(existing.first_seen, observation.at);
        existing.last_seen = Math.max(existing.last_seen, observation.at);
        existing.severity = match.severity;
        existing.feed_hits = match.feed_hits;
        existing.alertable = alertable(match.severity);
        if (match.confidence !== undefined) existing.confidence = match.confidence;
        if (!existing.sample_node_ids.includes(observation.node_id) && existing.sample_node_ids.length < SAMPLE_NODES_MAX) {
          existing.sample_node_ids.push(observation.node_id);
          existing.sample_node_ids.sort();
        }
        findings.set(key, existing);
        return;
      }
      findings.set(key, {
        indicator: match.indicator,
        indicator_type: match.indicator_type,
        observation_layer: observation.observation_layer,
        match_source: 'stream',
        source_group: observation.source_group,
        severity: match.severity,
        ...(match.confidence !== undefined ? { confidence: match.confidence } : {}),
        feed_hits: match.feed_hits,
        first_seen: observation.at,
        last_seen: observation.at,
        count: 1,
        sample_node_ids: [observation.node_id],
        alertable: alertable(match.severity),
        audit_links: [],
        enrichment_status: 'not_requested',
      });
      if (findings.size > max) findings.delete(findings.keys().next().value!);
    },

    /** Newest last_seen first, then the most frequent, then by indicator. */
    query(filter: ThreatFindingFilter): ThreatFinding[] {
      const groups = filter.source_group?.length ? new Set(filter.source_group.map((g) => g.toLowerCase())) : null;
      const feeds = filter.feed?.length ? new Set(filter.feed.map((f) => f.toLowerCase())) : null;
      const has = <T>(list: T[] | undefined, value: T) => !list?.length || list.includes(value);
      const out = [...findings.values()].filter(
        (f) =>
          has(filter.indicator_type, f.indicator_type) &&
          has(filter.severity, f.severity) &&
          has(filter.observation_layer, f.observation_layer) &&
          has(filter.match_source, f.match_source) &&
          (!groups || groups.has(f.source_group.toLowerCase())) &&
          (!feeds || f.feed_hits.some((h) => feeds.has(h.feed))) &&
          (!filter.alertable_only || f.alertable) &&
          (filter.since === undefined || f.last_seen >= filter.since) &&
          (filter.until === undefined || f.first_seen <= filter.until),
      );
      out.sort((a, b) => b.last_seen - a.last_seen || b.count - a.count || a.indicator.localeCompare(b.indicator));
      return out.slice(0, filter.limit).map((f) => ({ ...f, feed_hits: f.feed_hits.map((h) => ({ ...h, tags: [...h.tags] })), sample_node_ids: [...f.sample_node_ids] }));
    },

    /** Re-marks every finding against a new alert threshold (PUT /settings/threat-intel). */
    setAlertThreshold(next: ThreatSeverity): void {
      threshold = next;
      for (const f of findings.values()) f.alertable = alertable(f.severity);
    },

    get size() {
      return findings.size;
    },
  };
}

export type ThreatFindingsStore = ReturnType<typeof createThreatFindingsStore>;

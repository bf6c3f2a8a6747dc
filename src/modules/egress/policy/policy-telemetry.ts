/**
 * Hits per source group in hourly buckets, summed over the last 24 hours and the 24 before (Neuwerk's
 * GET /api/v1/policy/telemetry, for the trend arrows of its policy page). Kept in memory per node, as Neuwerk keeps
 * it per node; buckets older than 49 hours are dropped. A hit is a DNS query from a source the group claims (the
 * DNS proxy records it); packets are not counted, since the nft ruleset keeps no per-group counters yet.
 */
export interface PolicyTelemetrySummary {
  source_group_id: string;
  current_24h_hits: number;
  previous_24h_hits: number;
}

const HOUR_S = 3600;
const WINDOW_HOURS = 24;
const RETENTION_HOURS = 2 * WINDOW_HOURS + 1;

export function createPolicyTelemetry(now: () => Date) {
  /** group id -> hour bucket -> hits */
  const buckets = new Map<string, Map<number, number>>();
  const hourOf = (seconds: number) => Math.floor(seconds / HOUR_S);
  const nowS = () => Math.floor(now().getTime() / 1000);

  function prune(currentHour: number) {
    for (const [group, hours] of buckets) {
      for (const hour of hours.keys()) if (hour < currentHour - (RETENTION_HOURS - 1)) hours.delete(hour);
      if (hours.size === 0) buckets.delete(group);
    }
  }

  return {
    recordHit(sourceGroupId: string, atSeconds = nowS()): void {
      const id = sourceGroupId.trim();
      if (!id) return;
      const hour = hourOf(atSeconds);
      const hours = buckets.get(id) ?? new Map<number, number>();
      hours.set(hour, (hours.get(hour) ?? 0) + 1);
      buckets.set(id, hours);
      prune(hour);
    },

    /** Per group, most hits in the current window first, then the previous window, then the id. */
    summary(atSeconds = nowS()): PolicyTelemetrySummary[] {
      const current = hourOf(atSeconds);
      const currentStart = current - (WINDOW_HOURS - 1);
      const previousStart = currentStart - WINDOW_HOURS;
      const items: PolicyTelemetrySummary[] = [];
      for (const [id, hours] of buckets) {
        const item = { source_group_id: id, current_24h_hits: 0, previous_24h_hits: 0 };
        for (const [hour, hits] of hours) {
          if (hour >= currentStart && hour <= current) item.current_24h_hits += hits;
          else if (hour >= previousStart && hour < currentStart) item.previous_24h_hits += hits;
        }
        items.push(item);
      }
      return items.sort(
        (a, b) => b.current_24h_hits - a.current_24h_hits || b.previous_24h_hits - a.previous_24h_hits || a.source_group_id.localeCompare(b.source_group_id),
      );
    },
  };
}

export type PolicyTelemetry = ReturnType<typeof createPolicyTelemetry>;

import { z } from 'zod';
import type { Keyset } from '../common/keyset-cursor.js';
import { ALERT_SEVERITIES } from '../alerts/alert.types.js';

export const ACTIVITY_SOURCES = ['alert', 'transaction', 'intelligence', 'audit', 'monitoring'] as const;
export type ActivitySourceName = (typeof ACTIVITY_SOURCES)[number];

export const activityItem = z.object({
  id: z.string(),
  source: z.enum(ACTIVITY_SOURCES),
  severity: z.enum(ALERT_SEVERITIES),
  host_id: z.string().nullable(),
  title: z.string(),
  summary: z.string(),
  occurred_at: z.string(),
});
export type ActivityItem = z.infer<typeof activityItem>;

export interface ActivityFilter {
  severity?: ActivityItem['severity'];
  host_id?: string;
  since?: string;
  until?: string;
}

/**
 * One source of the unified feed. Each part that owns such rows (alerts, compliance transactions, intelligence
 * events, liveness transitions, the audit trail) contributes one, read only through its own tables.
 */
export interface ActivitySource {
  name: ActivitySourceName;
  /** The permission a caller needs to see this source's rows; the rows of the others count as hidden. */
  permission: string;
  /** Newest first, strictly after the cursor, at most `limit` rows. */
  fetch(filter: ActivityFilter, page: { limit: number; after?: Keyset }): Promise<ActivityItem[]>;
  /** How many rows match the filter (for hidden_count). */
  count(filter: ActivityFilter): Promise<number>;
}

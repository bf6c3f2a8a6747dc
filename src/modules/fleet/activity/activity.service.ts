import { hasPermission, type Principal } from '../../../core/principal.js';
import { decodeCursor, keysetPage } from '../common/keyset-cursor.js';
import type { ActivityFilter, ActivityItem, ActivitySource, ActivitySourceName } from './activity.types.js';

/**
 * The unified activity feed: the newest rows of every source the caller may see, merged by (time, id), with
 * hidden_count saying how many matching rows the caller's permissions keep out. Sources are registered by the parts
 * that own them.
 */
export function createActivityService() {
  const sources: ActivitySource[] = [];
  return {
    register(source: ActivitySource) {
      if (sources.some((s) => s.name === source.name)) throw new Error(`activity source ${source.name} is already registered`);
      sources.push(source);
    },

    async list(principal: Principal, filter: ActivityFilter & { source?: ActivitySourceName }, page: { limit: number; cursor?: string }) {
      const after = page.cursor ? decodeCursor(page.cursor) : undefined;
      const wanted = sources.filter((s) => !filter.source || s.name === filter.source);
      const visible = wanted.filter((s) => hasPermission(principal, s.permission));
      const hidden = wanted.filter((s) => !hasPermission(principal, s.permission));
      // Each source gives its newest limit + 1 rows past the cursor; the merged page is the newest of those.
      const rows = (await Promise.all(visible.map((s) => s.fetch(filter, { limit: page.limit + 1, after })))).flat();
      rows.sort(newestFirst);
      const { items, next_cursor } = keysetPage(rows, page.limit, (r) => ({ t: r.occurred_at, id: r.id }));
      const hiddenCounts = await Promise.all(hidden.map((s) => s.count(filter)));
      return { items, hidden_count: hiddenCounts.reduce((a, b) => a + b, 0), next_cursor };
    },
  };
}

function newestFirst(a: ActivityItem, b: ActivityItem): number {
  const byTime = Date.parse(b.occurred_at) - Date.parse(a.occurred_at);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export type ActivityService = ReturnType<typeof createActivityService>;

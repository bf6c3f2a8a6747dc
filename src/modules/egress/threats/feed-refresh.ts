import { readFile } from 'node:fs/promises';
import type { Core } from '../../../core/index.js';
import { createSettingsStore } from '../settings/settings.store.js';
import { fetchFeed } from './feed-fetcher.js';
import { parseFeed } from './feed-parsers.js';
import type { StoredFeed, ThreatStore } from './threat.store.js';
import type { ThreatSettings } from './threat-settings.js';
import { FEEDS, type FeedName, type FeedRefreshState, type FeedStatus, type Indicator, type ThreatIntelSettings } from './threat.types.js';

/** How often the loop looks for feeds whose interval has passed (Neuwerk polls every 5 s too). */
const TICK_MS = 5_000;
/** A failed feed is tried again after this long, or its own interval if shorter. */
const FAILED_RETRY_S = 60;
const PAYLOAD_MAX_BYTES = 64 * 1024 * 1024;
const ERROR_MAX = 500;
const SNAPSHOT_KEY = 'threat_intel_snapshot';

export interface FeedRefreshDeps {
  core: Pick<Core, 'config' | 'db' | 'now' | 'events' | 'logger'>;
  store: ThreatStore;
  settings: ThreatSettings;
  /** Receives every enabled feed's last good indicators after a refresh changed them (and once after loading). */
  onIndicators(indicators: Indicator[]): void;
  /** How often the loop looks for due feeds; tests make it long to see what else starts a download. */
  tickMs?: number;
}

const unix = (d: Date) => Math.floor(d.getTime() / 1000);

/**
 * Downloads the baseline feeds on their intervals, keeps each one's last good indicators when a download fails
 * (as Neuwerk keeps its last good snapshot), and records per feed when it was tried, whether it worked, why not,
 * and how many indicators it holds.
 */
export function createFeedRefresher(deps: FeedRefreshDeps) {
  const { core, store } = deps;
  const snapshots = createSettingsStore(core);
  const feeds = new Map<FeedName, StoredFeed>();
  let loaded: Promise<void> | null = null;
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let abort = new AbortController();

  const urlOf = (feed: FeedName) => core.config.egress[`threat_feed_${feed}_url`];

  function load(): Promise<void> {
    loaded ??= store.loadFeeds().then(async (rows) => {
      for (const row of rows) if (FEEDS.includes(row.feed)) feeds.set(row.feed, row);
      publish(await deps.settings.get());
    });
    loaded.catch(() => (loaded = null));
    return loaded;
  }

  function publish(settings: ThreatIntelSettings) {
    deps.onIndicators(FEEDS.filter((f) => settings.baseline_feeds[f].enabled).flatMap((f) => feeds.get(f)?.indicators ?? []));
  }

  function due(feed: FeedName, settings: ThreatIntelSettings, now: number): boolean {
    const toggle = settings.baseline_feeds[feed];
    const status = feeds.get(feed)?.status;
    if (!toggle.enabled) return false;
    if (!status?.last_refresh_completed_at) return true;
    if (status.last_refresh_outcome === 'failed') return now - status.last_refresh_completed_at >= Math.min(FAILED_RETRY_S, toggle.refresh_interval_secs);
    return now - (status.last_successful_refresh_at ?? status.last_refresh_completed_at) >= toggle.refresh_interval_secs;
  }

  async function refreshFeed(feed: FeedName, settings: ThreatIntelSettings, caPem: string | undefined): Promise<boolean> {
    const previous = feeds.get(feed) ?? { feed, indicators: [], status: { indicator_counts: { hostname: 0, ip: 0 } } };
    const started = unix(core.now());
    let next: StoredFeed;
    try {
      const payload = await fetchFeed(urlOf(feed), { timeoutMs: core.config.egress.threat_feed_timeout_ms, maxBytes: PAYLOAD_MAX_BYTES, extraCaPem: caPem, signal: abort.signal });
      const indicators = parseFeed(feed, payload);
      const done = unix(core.now());
      next = {
        feed,
        indicators,
        status: {
          last_refresh_started_at: started,
          last_refresh_completed_at: done,
          last_successful_refresh_at: done,
          last_refresh_outcome: 'success',
          indicator_counts: countsOf(indicators),
        },
      };
    } catch (err) {
      if (abort.signal.aborted) return false;
      const message = (err as Error).message.slice(0, ERROR_MAX);
      core.logger.warn({ feed, err: message }, 'threat-intel feed refresh failed; keeping its last good indicators');
      next = {
        ...previous,
        status: { ...previous.status, last_refresh_started_at: started, last_refresh_completed_at: unix(core.now()), last_refresh_outcome: 'failed', last_refresh_error: message },
      };
    }
    feeds.set(feed, next);
    const changed = next.status.last_refresh_outcome === 'success' && !sameIndicators(previous.indicators, next.indicators);
    // Together with the status above: once a feed reports success, its indicators match.
    if (changed) publish(settings);
    await store.saveFeed(next, core.now());
    return changed;
  }

  async function refreshDue(force: boolean): Promise<void> {
    await load();
    const settings = await deps.settings.get();
    const now = unix(core.now());
    const todo = settings.enabled ? FEEDS.filter((f) => (force ? settings.baseline_feeds[f].enabled : due(f, settings, now))) : [];
    if (todo.length > 0) {
      const caPem = await extraCa();
      const changed = await Promise.all(todo.map((f) => refreshFeed(f, settings, caPem)));
      if (changed.some(Boolean)) {
        const snapshot = (await snapshots.get<{ version: number }>(SNAPSHOT_KEY)) ?? { version: 0 };
        await snapshots.put(SNAPSHOT_KEY, { version: snapshot.version + 1, generated_at: unix(core.now()) });
      }
    }
    // Also without downloads: a feed switched off in the settings stops matching.
    publish(settings);
  }

  async function extraCa(): Promise<string | undefined> {
    const file = core.config.egress.threat_feed_ca_file;
    if (!file) return undefined;
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      core.logger.warn({ file, err: (err as Error).message }, 'cannot read egress.threat_feed_ca_file; feeds are verified against the system roots only');
      return undefined;
    }
  }

  /** One pass at a time: a call while one runs queues behind it. */
  function refresh(opts: { force?: boolean } = {}): Promise<void> {
    const run = chain.then(() => refreshDue(opts.force ?? false));
    chain = run.catch((err) => core.logger.error({ err }, 'threat-intel refresh failed'));
    return run;
  }

  return {
    load,
    refresh,
    /** Hands the enabled feeds' stored indicators to the matcher again, without downloading (a feed toggled). */
    async republish(): Promise<void> {
      await load();
      publish(await deps.settings.get());
    },
    /** Refreshes what is due now and then every few seconds; the settings' intervals say what is due. */
    start(): void {
      abort = new AbortController();
      const tick = () => {
        void refresh()
          .catch(() => {})
          .finally(() => {
            if (timer) timer = setTimeout(tick, deps.tickMs ?? TICK_MS);
          });
      };
      timer = setTimeout(tick, 0);
    },
    async stop(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = null;
      abort.abort();
      await chain;
    },
    /** Neuwerk's ThreatFeedRefreshState for GET /threats/feeds/status. */
    // From the database, so a node that downloads nothing (no data plane) reports what the gateways did.
    async status(settings: ThreatIntelSettings): Promise<FeedRefreshState> {
      const statuses = await store.loadFeedStatuses();
      const now = unix(core.now());
      const snapshot = await snapshots.get<{ version: number; generated_at: number }>(SNAPSHOT_KEY);
      const items: FeedStatus[] = FEEDS.map((feed) => {
        const stored = statuses.get(feed) ?? { indicator_counts: { hostname: 0, ip: 0 } };
        const enabled = settings.baseline_feeds[feed].enabled;
        const age = enabled && stored.last_successful_refresh_at ? { snapshot_age_seconds: Math.max(0, now - stored.last_successful_refresh_at) } : {};
        return { feed, enabled, ...age, ...stored };
      });
      return { snapshot_version: snapshot?.version ?? 0, ...(snapshot ? { snapshot_generated_at: snapshot.generated_at } : {}), ...summary(items.filter((f) => f.enabled)), feeds: items, disabled: !settings.enabled };
    },
  };
}

export type FeedRefresher = ReturnType<typeof createFeedRefresher>;

function countsOf(indicators: Indicator[]) {
  const counts = { hostname: 0, ip: 0 };
  for (const i of indicators) counts[i.indicator_type]++;
  return counts;
}

function sameIndicators(a: Indicator[], b: Indicator[]): boolean {
  return a.length === b.length && JSON.stringify(a) === JSON.stringify(b);
}

/** The newest times over the enabled feeds; failed when any of them failed last. */
function summary(items: FeedStatus[]): Partial<FeedRefreshState> {
  const newest = (key: 'last_refresh_started_at' | 'last_refresh_completed_at' | 'last_successful_refresh_at') => {
    const values = items.map((f) => f[key]).filter((v): v is number => v !== undefined);
    return values.length ? { [key]: Math.max(...values) } : {};
  };
  const outcomes = items.map((f) => f.last_refresh_outcome).filter(Boolean);
  const outcome = outcomes.includes('failed') ? 'failed' : outcomes.length ? 'success' : undefined;
  return { ...newest('last_refresh_started_at'), ...newest('last_refresh_completed_at'), ...newest('last_successful_refresh_at'), ...(outcome ? { last_refresh_outcome: outcome } : {}) };
}

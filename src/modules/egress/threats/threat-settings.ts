import type { Core } from '../../../core/index.js';
import { createCachedSetting } from '../settings/cached-setting.js';
import { FEEDS, type FeedName, type FeedToggle, type ThreatIntelSettings, type ThreatSeverity } from './threat.types.js';

const KEY = 'threat_intel';
/** Published after a write commits; every node drops its cached settings and reacts (refresh, matching on or off). */
export const THREAT_SETTINGS_TOPIC = 'egress.threat_intel.settings';

export interface ThreatSettingsView extends ThreatIntelSettings {
  /** null while the built-in defaults apply; 'local' once written. */
  source: 'local' | null;
}

/** What PUT takes: Neuwerk's enabled and alert_threshold, and (Rampart) per-feed toggles and refresh intervals. */
export interface ThreatSettingsUpdate {
  enabled?: boolean;
  alert_threshold?: ThreatSeverity;
  baseline_feeds?: Partial<Record<FeedName, Partial<FeedToggle>>>;
}

/** Neuwerk's defaults: on, alerting from high, every baseline feed hourly, no remote enrichment. */
export function defaultThreatSettings(): ThreatIntelSettings {
  const feed = (): FeedToggle => ({ enabled: true, refresh_interval_secs: 3_600 });
  return { enabled: true, alert_threshold: 'high', baseline_feeds: { threatfox: feed(), urlhaus: feed(), spamhaus_drop: feed() }, remote_enrichment: { enabled: false } };
}

/** A stored value over the defaults, so settings written by an older version gain new keys' defaults. */
function withDefaults(stored: Partial<ThreatIntelSettings>): ThreatIntelSettings {
  const base = defaultThreatSettings();
  const feeds = Object.fromEntries(FEEDS.map((f) => [f, { ...base.baseline_feeds[f], ...stored.baseline_feeds?.[f] }])) as ThreatIntelSettings['baseline_feeds'];
  return { ...base, ...stored, baseline_feeds: feeds, remote_enrichment: { ...base.remote_enrichment, ...stored.remote_enrichment } };
}

/** The threat-intel settings, cached per node and dropped when any node writes them. */
export function createThreatSettings(core: Pick<Core, 'db' | 'now' | 'events'>) {
  const setting = createCachedSetting<Partial<ThreatIntelSettings>, ThreatSettingsView>(core, {
    key: KEY,
    topic: THREAT_SETTINGS_TOPIC,
    view: (stored) => (stored ? { ...withDefaults(stored), source: 'local' } : { ...defaultThreatSettings(), source: null }),
  });
  return {
    get: setting.get,
    async update(update: ThreatSettingsUpdate): Promise<ThreatSettingsView> {
      return core.db.transaction(async () => {
        const { source: _source, ...current } = await setting.load();
        const next: ThreatIntelSettings = {
          ...current,
          enabled: update.enabled ?? current.enabled,
          alert_threshold: update.alert_threshold ?? current.alert_threshold,
          baseline_feeds: Object.fromEntries(FEEDS.map((f) => [f, { ...current.baseline_feeds[f], ...update.baseline_feeds?.[f] }])) as ThreatIntelSettings['baseline_feeds'],
        };
        await setting.put(next);
        return { ...next, source: 'local' as const };
      });
    },
  };
}

export type ThreatSettings = ReturnType<typeof createThreatSettings>;

import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { createSettingsStore } from './settings.store.js';

export interface PerformanceModeState {
  enabled: boolean;
  /** null while the built-in default (enabled) applies; 'local' once a value has been written. */
  source: 'local' | null;
}

const KEY = 'performance_mode';
/** Published after a write commits; every node (PostgreSQL bridge) drops its cached value. */
export const PERFORMANCE_MODE_TOPIC = 'egress.settings.performance_mode';
const DEFAULT: PerformanceModeState = { enabled: true, source: null };

/**
 * Neuwerk's performance-mode flag: off makes audit findings and the wiretap answer 503. Audit and wiretap
 * routes ask on every request, so the value is cached in memory and dropped when any node writes it.
 */
export function createPerformanceMode(core: Pick<Core, 'db' | 'now' | 'events'>) {
  const store = createSettingsStore(core);
  let cached: Promise<PerformanceModeState> | null = null;
  const invalidate = () => {
    cached = null;
  };
  core.events.subscribe(PERFORMANCE_MODE_TOPIC, invalidate);

  async function load(): Promise<PerformanceModeState> {
    const stored = await store.get<{ enabled: boolean }>(KEY);
    return stored ? { enabled: stored.enabled === true, source: 'local' } : DEFAULT;
  }

  function get(): Promise<PerformanceModeState> {
    if (!cached) {
      const loading = load();
      cached = loading;
      // A failed read must not stick: the next call tries again.
      loading.catch(() => {
        if (cached === loading) cached = null;
      });
    }
    return cached;
  }

  return {
    get,
    async set(enabled: boolean): Promise<PerformanceModeState> {
      await core.db.transaction(async () => {
        await store.put(KEY, { enabled });
        // Both run on commit (the caller's transaction, when there is one): a rolled-back write changes nothing.
        core.db.afterCommit(invalidate);
        await core.events.publish(PERFORMANCE_MODE_TOPIC, { enabled });
      });
      return { enabled, source: 'local' };
    },
    /** Throws 503 "performance mode is disabled" while it is off. */
    async assertEnabled(): Promise<void> {
      if (!(await get()).enabled) throw errors.unavailable('performance mode is disabled');
    },
  };
}

export type PerformanceMode = ReturnType<typeof createPerformanceMode>;

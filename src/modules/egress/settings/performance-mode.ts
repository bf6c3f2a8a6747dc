import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import { createCachedSetting } from './cached-setting.js';

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
  const setting = createCachedSetting<{ enabled: boolean }, PerformanceModeState>(core, {
    key: KEY,
    topic: PERFORMANCE_MODE_TOPIC,
    view: (stored) => (stored ? { enabled: stored.enabled === true, source: 'local' } : DEFAULT),
  });
  return {
    get: setting.get,
    async set(enabled: boolean): Promise<PerformanceModeState> {
      await setting.put({ enabled });
      return { enabled, source: 'local' };
    },
    /** Throws 503 "performance mode is disabled" while it is off. */
    async assertEnabled(): Promise<void> {
      if (!(await setting.get()).enabled) throw errors.unavailable('performance mode is disabled');
    },
  };
}

export type PerformanceMode = ReturnType<typeof createPerformanceMode>;

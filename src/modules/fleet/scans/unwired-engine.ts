import { errors } from '../../../core/errors.js';
import type { ScanEngine } from './scan-job.js';
import { SCAN_CONFIG_DEFAULTS } from './scan-config.js';

/** Until the SSH transport and the rule engine are wired: no rules, default settings, and scans fail clearly. */
export const unwiredEngine: ScanEngine = {
  openSession: async () => {
    throw errors.unavailable('no SSH transport is wired into the fleet module');
  },
  rules: async () => [],
  evaluate: async () => {
    throw errors.unavailable('no compliance engine is wired into the fleet module');
  },
  variables: async () => ({}),
  scanConfig: async () => SCAN_CONFIG_DEFAULTS,
};

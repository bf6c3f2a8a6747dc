import type { BandIntervals } from '../compliance-state/score.js';

/** The scan scheduler's settings (GET/PUT /api/v1/system/scan/config), owned by the system configs. */
export interface ScanConfig extends BandIntervals {
  /** The scheduler's master switch; on-demand scans run regardless. */
  enabled: boolean;
  /** Hosts dispatched per scheduler tick. */
  rate_limit: number;
  /** Fleet-wide pause of scheduled scans. */
  maintenance_global: boolean;
}

export const SCAN_CONFIG_DEFAULTS: ScanConfig = {
  enabled: true,
  unknown_mins: 360,
  critical_mins: 240,
  non_compliant_mins: 480,
  partial_mins: 720,
  mostly_compliant_mins: 1440,
  compliant_mins: 2880,
  rate_limit: 25,
  maintenance_global: false,
};

import type { ComplianceState } from '../scans/scans.tables.js';

/** The compliance states in ladder order (worst first), as the fleet states endpoint lists them. */
export const COMPLIANCE_STATES: readonly ComplianceState[] = ['critical', 'non_compliant', 'partial', 'mostly_compliant', 'compliant', 'unknown'];

/** passed/(passed+failed)*100, rounded to one decimal; null when nothing passed or failed (skips and errors do not count). */
export function complianceScore(passed: number, failed: number): number | null {
  const graded = passed + failed;
  return graded === 0 ? null : Math.round((passed / graded) * 1000) / 10;
}

/** The band a score falls in: critical <20, non_compliant 20-49, partial 50-69, mostly_compliant 70-89, compliant >=90. */
export function complianceState(score: number | null): ComplianceState {
  if (score === null) return 'unknown';
  if (score < 20) return 'critical';
  if (score < 50) return 'non_compliant';
  if (score < 70) return 'partial';
  if (score < 90) return 'mostly_compliant';
  return 'compliant';
}

/** The scan config's rescan intervals, one per band (minutes). */
export interface BandIntervals {
  unknown_mins: number;
  critical_mins: number;
  non_compliant_mins: number;
  partial_mins: number;
  mostly_compliant_mins: number;
  compliant_mins: number;
}

export function rescanIntervalMinutes(state: ComplianceState, config: BandIntervals): number {
  return config[`${state}_mins`];
}

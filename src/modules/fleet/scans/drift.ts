/**
 * Drift between a host's consecutive completed scans: the score falling by 10 points or more is major, by 5 or
 * more minor, rising by 5 or more an improvement. The alerts part turns these into alerts through the hook.
 */
/** The alert types are drift_<kind>. */
export type DriftKind = 'major' | 'minor' | 'improvement';

export interface DriftEvent {
  host_id: string;
  kind: DriftKind;
  previous: number;
  current: number;
  scan_id: string;
}

export type DriftHook = (event: DriftEvent) => void | Promise<void>;

export function classifyDrift(previous: number | null, current: number | null): DriftKind | null {
  if (previous === null || current === null) return null;
  const delta = current - previous;
  if (delta <= -10) return 'major';
  if (delta <= -5) return 'minor';
  if (delta >= 5) return 'improvement';
  return null;
}

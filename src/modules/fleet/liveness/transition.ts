import type { FleetHostLivenessRow, MonitoringState, ReachabilityStatus } from '../config/config.tables.js';

/**
 * The liveness state machine (research/openwatch.md, "Host liveness"), pure so it can be tested exhaustively.
 *
 * Layers are probed in order: ICMP, then SSH connect and authentication, then privilege (root or sudo). A layer
 * below a failed one is not run. Consecutive failures per layer decide the band:
 * - ICMP fails: critical at once, down after 3 in a row;
 * - ICMP answers, SSH fails: degraded at once, critical after 2 in a row (an SSH layer not reached counts as failed);
 * - SSH works, privilege fails: degraded after 2 in a row (an online host stays online after one);
 * - every layer passes: a host first seen goes online at once; a host coming back from a worse band needs 3
 *   all-layer passes in a row and shows degraded until then.
 * reachability_status follows the SSH layer: reachable on success, unreachable after `unreachableThreshold`
 * consecutive failures, unchanged in between.
 */
export type LivenessSnapshot = Pick<
  FleetHostLivenessRow,
  | 'monitoring_state'
  | 'reachability_status'
  | 'icmp_failures'
  | 'ssh_failures'
  | 'privilege_failures'
  | 'icmp_successes'
  | 'ssh_successes'
  | 'privilege_successes'
  | 'pass_streak'
>;

/** One probe's layers: true passed, false failed, null not run (a layer below failed). */
export interface ProbeOutcome {
  icmp: boolean;
  ssh: boolean | null;
  privilege: boolean | null;
}

export const DOWN_AFTER_ICMP_FAILURES = 3;
export const CRITICAL_AFTER_SSH_FAILURES = 2;
export const DEGRADED_AFTER_PRIVILEGE_FAILURES = 2;
export const ONLINE_AFTER_PASSES = 3;

export const initialLiveness = (): LivenessSnapshot => ({
  monitoring_state: 'unknown',
  reachability_status: 'unknown',
  icmp_failures: 0,
  ssh_failures: 0,
  privilege_failures: 0,
  icmp_successes: 0,
  ssh_successes: 0,
  privilege_successes: 0,
  pass_streak: 0,
});

export function nextLiveness(prev: LivenessSnapshot, probe: ProbeOutcome, opts: { unreachableThreshold: number }): LivenessSnapshot {
  const icmpOk = probe.icmp;
  const sshOk = icmpOk && probe.ssh === true;
  const privilegeOk = sshOk && probe.privilege === true;
  const counters = {
    icmp_failures: icmpOk ? 0 : prev.icmp_failures + 1,
    ssh_failures: sshOk ? 0 : prev.ssh_failures + 1,
    privilege_failures: privilegeOk ? 0 : sshOk ? prev.privilege_failures + 1 : prev.privilege_failures,
    icmp_successes: icmpOk ? prev.icmp_successes + 1 : 0,
    ssh_successes: sshOk ? prev.ssh_successes + 1 : 0,
    privilege_successes: privilegeOk ? prev.privilege_successes + 1 : sshOk ? 0 : prev.privilege_successes,
    pass_streak: privilegeOk ? prev.pass_streak + 1 : 0,
  };
  return {
    ...counters,
    monitoring_state: band(prev.monitoring_state, { icmpOk, sshOk, privilegeOk }, counters),
    reachability_status: sshOk ? 'reachable' : counters.ssh_failures >= opts.unreachableThreshold ? 'unreachable' : prev.reachability_status,
  };
}

function band(
  prev: MonitoringState,
  ok: { icmpOk: boolean; sshOk: boolean; privilegeOk: boolean },
  c: Omit<LivenessSnapshot, 'monitoring_state' | 'reachability_status'>,
): MonitoringState {
  if (!ok.icmpOk) return c.icmp_failures >= DOWN_AFTER_ICMP_FAILURES ? 'down' : 'critical';
  if (!ok.sshOk) return c.ssh_failures >= CRITICAL_AFTER_SSH_FAILURES ? 'critical' : 'degraded';
  if (!ok.privilegeOk) return c.privilege_failures >= DEGRADED_AFTER_PRIVILEGE_FAILURES || prev !== 'online' ? 'degraded' : 'online';
  if (prev === 'online' || prev === 'unknown') return 'online';
  return c.pass_streak >= ONLINE_AFTER_PASSES ? 'online' : 'degraded';
}

/** Maintenance: no probing; the counters are kept for the record. */
export const enterMaintenance = (prev: LivenessSnapshot): LivenessSnapshot => ({ ...prev, monitoring_state: 'maintenance' });

/** Leaving maintenance starts over: the host is probed again as if first seen. */
export const leaveMaintenance = (): LivenessSnapshot => initialLiveness();

/** Seconds until the next probe in each band (connectivity config), before jitter. */
export function bandInterval(
  state: MonitoringState,
  c: { online_sec: number; degraded_sec: number; critical_sec: number; down_sec: number; maintenance_sec: number },
): number {
  switch (state) {
    case 'online':
      return c.online_sec;
    case 'degraded':
      return c.degraded_sec;
    case 'down':
      return c.down_sec;
    case 'maintenance':
      return c.maintenance_sec;
    default:
      return c.critical_sec;
  }
}

/** ±20 % jitter so hosts added together do not stay probed together; `random` in [0, 1). */
export const jittered = (seconds: number, random: number): number => seconds * (0.8 + 0.4 * random);

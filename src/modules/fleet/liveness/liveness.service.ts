import type { Core } from '../../../core/index.js';
import type { FleetHostLivenessRow, MonitoringState, ReachabilityStatus } from '../config/config.tables.js';
import type { ConfigService } from '../config/config.service.js';
import type { HostService } from '../hosts/host.service.js';
import type { FleetHostRow } from '../hosts/hosts.tables.js';
import type { HostProber, ProbeReport } from './probes.js';
import { createLivenessStore } from './liveness.store.js';
import { bandInterval, enterMaintenance, initialLiveness, jittered, leaveMaintenance, nextLiveness, type LivenessSnapshot } from './transition.js';

export type LivenessListener = (host: FleetHostRow, from: MonitoringState, to: MonitoringState) => void | Promise<void>;

/** A host's liveness as host list items and detail show it (OpenWatch's HostLiveness, plus privilege and timing). */
export interface LivenessView {
  reachability_status: ReachabilityStatus;
  monitoring_state: MonitoringState;
  /** Consecutive probes the SSH layer did not pass (what reachability counts). */
  consecutive_failures: number;
  ping_consecutive_failures: number;
  ping_consecutive_successes: number;
  ssh_consecutive_failures: number;
  ssh_consecutive_successes: number;
  privilege_consecutive_failures: number;
  privilege_consecutive_successes: number;
  last_probe_at: string | null;
  last_response_ms: number | null;
  last_state_change_at: string | null;
  last_error_type: string | null;
  last_error: string | null;
  privilege: string | null;
  next_probe_at: string | null;
}

export interface CheckResult {
  /** OpenWatch's ConnectivityCheckResult: this probe's SSH outcome. */
  reachable: boolean;
  response_time_ms: number;
  probed_at: string;
  new_reachability_status: 'reachable' | 'unreachable';
  error_type: string | null;
  host_id: string;
  previous_state: MonitoringState;
  monitoring_state: MonitoringState;
  reachability_status: ReachabilityStatus;
  layers: { icmp: boolean; ssh: boolean | null; privilege: boolean | null };
  privilege: string | null;
  error: string | null;
}

const snapshotOf = (row: FleetHostLivenessRow | undefined): LivenessSnapshot =>
  row
    ? {
        monitoring_state: row.monitoring_state,
        reachability_status: row.reachability_status,
        icmp_failures: row.icmp_failures,
        ssh_failures: row.ssh_failures,
        privilege_failures: row.privilege_failures,
        icmp_successes: row.icmp_successes,
        ssh_successes: row.ssh_successes,
        privilege_successes: row.privilege_successes,
        pass_streak: row.pass_streak,
      }
    : initialLiveness();

/** null for a host no probe or maintenance change has touched yet. */
export function toLivenessView(row: FleetHostLivenessRow | undefined, maintenance: boolean): LivenessView | null {
  if (!row) return null;
  return {
    reachability_status: row.reachability_status,
    monitoring_state: maintenance ? 'maintenance' : row.monitoring_state,
    consecutive_failures: row.ssh_failures,
    ping_consecutive_failures: row.icmp_failures,
    ping_consecutive_successes: row.icmp_successes,
    ssh_consecutive_failures: row.ssh_failures,
    ssh_consecutive_successes: row.ssh_successes,
    privilege_consecutive_failures: row.privilege_failures,
    privilege_consecutive_successes: row.privilege_successes,
    last_probe_at: row.last_probe_at,
    last_response_ms: row.last_response_ms,
    last_state_change_at: row.state_changed_at,
    last_error_type: row.last_error_type,
    last_error: row.last_error,
    privilege: row.privilege,
    next_probe_at: row.next_probe_at,
  };
}

/**
 * Probes hosts, moves them through the state machine (transition.ts), records every probe in the monitoring
 * history and tells the listener about each change of band. The scheduler calls `tick`; connectivity:check
 * calls `check`.
 */
export function createLivenessService(deps: {
  core: Pick<Core, 'db' | 'now' | 'audit' | 'logger' | 'events'>;
  hosts: HostService;
  config: ConfigService;
  prober: () => HostProber;
  onChange: LivenessListener;
  random?: () => number;
}) {
  const { core, hosts, config } = deps;
  const store = createLivenessStore(core);
  const random = deps.random ?? Math.random;
  const iso = (offsetSec: number) => new Date(core.now().getTime() + offsetSec * 1000).toISOString();

  async function announce(host: FleetHostRow, from: MonitoringState, to: MonitoringState): Promise<void> {
    if (from === to) return;
    await core.audit.record({
      actor: { type: 'system', id: null, name: 'the system' },
      action: 'host.liveness.changed',
      resource: { type: 'host', id: host.id },
      result: 'success',
      details: { hostname: host.hostname, from, to },
    });
    // The listener (alerts) runs once the change is committed, so its failure cannot undo the change.
    core.db.afterCommit(() => {
      Promise.resolve()
        .then(() => deps.onChange(host, from, to))
        .catch((err) => core.logger.warn({ err, hostId: host.id }, 'liveness change listener failed'));
    });
  }

  /**
   * The probe of each host running in this process: a second one waits for it (probes of one host would race each
   * other's counters), so a check asked for while the scheduler probes the host runs right after, never fails.
   */
  const inFlight = new Map<string, Promise<CheckResult>>();

  /** Probes one host now and applies the outcome (in maintenance the layers are reported, the state kept). */
  async function check(hostId: string): Promise<CheckResult> {
    await hosts.row(hostId);
    const previous = inFlight.get(hostId);
    // The host is read again once it is this probe's turn: maintenance may have changed meanwhile.
    const mine = (previous ?? Promise.resolve()).catch(() => undefined).then(async () => probeAndApply(await hosts.row(hostId)));
    inFlight.set(hostId, mine);
    try {
      return await mine;
    } finally {
      if (inFlight.get(hostId) === mine) inFlight.delete(hostId);
    }
  }

  async function probeAndApply(host: FleetHostRow): Promise<CheckResult> {
    const hostId = host.id;
    const conn = await config.get('connectivity');
    const prev = snapshotOf(await store.get(hostId));
    const report: ProbeReport = await deps.prober()(host, conn.timeout_sec);
    const inMaintenance = core.db.dialect.fromBool(host.maintenance_mode);
    const next = inMaintenance ? enterMaintenance(prev) : nextLiveness(prev, report, { unreachableThreshold: conn.unreachable_threshold });
    const checkedAt = core.now().toISOString();
    // The probe is done: its row, history and audit row commit together.
    await core.db.transaction(async () => {
      await store.save(hostId, next, {
        previous: prev.monitoring_state,
        privilege: report.privilegeKind,
        error: report.error,
        errorType: report.errorType,
        responseMs: report.responseMs,
        probedAt: checkedAt,
        nextProbeAt: iso(jittered(bandInterval(next.monitoring_state, conn), random())),
      });
      await store.addHistory({
        host_id: hostId,
        checked_at: checkedAt,
        monitoring_state: next.monitoring_state,
        previous_state: prev.monitoring_state,
        reachability_status: next.reachability_status,
        icmp: report.icmp,
        ssh: report.ssh,
        privilege: report.privilege,
        response_ms: report.responseMs,
        error: report.error,
        error_type: report.errorType,
      });
      await announce(host, prev.monitoring_state, next.monitoring_state);
    });
    const reachable = report.ssh === true;
    return {
      reachable,
      response_time_ms: report.responseMs,
      probed_at: checkedAt,
      new_reachability_status: reachable ? 'reachable' : 'unreachable',
      error_type: report.errorType,
      host_id: hostId,
      previous_state: prev.monitoring_state,
      monitoring_state: next.monitoring_state,
      reachability_status: next.reachability_status,
      layers: { icmp: report.icmp, ssh: report.ssh, privilege: report.privilege },
      privilege: report.privilegeKind,
      error: report.error,
    };
  }

  return {
    store,
    check,

    /** Entering maintenance stops probing and shows state maintenance; leaving it starts over, due at once. */
    async maintenanceChanged(host: FleetHostRow, enabled: boolean): Promise<void> {
      const conn = await config.get('connectivity');
      const prev = snapshotOf(await store.get(host.id));
      const next = enabled ? enterMaintenance(prev) : leaveMaintenance();
      if (next.monitoring_state === prev.monitoring_state && enabled) return;
      await store.save(host.id, next, { previous: prev.monitoring_state, nextProbeAt: enabled ? iso(conn.maintenance_sec) : iso(0) });
      await store.addHistory({
        host_id: host.id,
        checked_at: core.now().toISOString(),
        monitoring_state: next.monitoring_state,
        previous_state: prev.monitoring_state,
        reachability_status: next.reachability_status,
        icmp: null,
        ssh: null,
        privilege: null,
        response_ms: null,
        error: null,
        error_type: null,
      });
      await announce(host, prev.monitoring_state, next.monitoring_state);
    },

    /**
     * One scheduler round: probes the hosts that are due, at most rate_limit of them, each claimed first so two
     * nodes never probe the same host in the same round. Global maintenance probes nothing.
     */
    async tick(): Promise<number> {
      const conn = await config.get('connectivity');
      if (conn.maintenance_global) return 0;
      await store.ensureRows();
      const due = await store.due(conn.rate_limit);
      const claimed: string[] = [];
      for (const row of due) {
        // Held while probing: a probe cannot outlast the timeout of its two network layers by much.
        if (await store.claim(row.host_id, row.next_probe_at, iso(conn.timeout_sec * 4 + 30))) claimed.push(row.host_id);
      }
      await Promise.all(
        claimed.map((id) =>
          check(id).catch((err) => {
            core.logger.warn({ err, hostId: id }, 'liveness probe failed');
          }),
        ),
      );
      return claimed.length;
    },

    async views(hostRows: FleetHostRow[]): Promise<Map<string, LivenessView | null>> {
      const rows = new Map((await store.many(hostRows.map((h) => h.id))).map((r) => [r.host_id, r]));
      return new Map(hostRows.map((h) => [h.id, toLivenessView(rows.get(h.id), core.db.dialect.fromBool(h.maintenance_mode))]));
    },

    /** GET /fleet/liveness: hosts by reachability; never_probed counts hosts no probe has reached yet. */
    async fleetLiveness() {
      const counts = { reachable: 0, unreachable: 0, unknown: 0, never_probed: 0 };
      for (const row of await store.fleet()) {
        if (!row.last_probe_at) counts.never_probed++;
        else counts[(row.reachability_status ?? 'unknown') as ReachabilityStatus]++;
      }
      return counts;
    },

    /** GET /fleet/connectivity/breakdown: hosts by monitoring state. */
    async connectivityBreakdown() {
      const counts = { online: 0, degraded: 0, critical: 0, down: 0, maintenance: 0, never_probed: 0 };
      for (const row of await store.fleet()) {
        const state = row.monitoring_state ?? 'unknown';
        if (state === 'maintenance') counts.maintenance++;
        else if (!row.last_probe_at || state === 'unknown') counts.never_probed++;
        else counts[state]++;
      }
      return counts;
    },
  };
}

export type LivenessService = ReturnType<typeof createLivenessService>;

/** Runs `tick` every `intervalMs` until stopped; one round at a time. */
export function startLivenessScheduler(liveness: Pick<LivenessService, 'tick'>, opts: { intervalMs: number; logger: Core['logger'] }) {
  let stopped = false;
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    // A round still running (slow hosts) makes the next one wait for the following interval.
    if (stopped || running) return;
    running = liveness
      .tick()
      .catch((err) => opts.logger.warn({ err }, 'liveness round failed'))
      .finally(() => (running = null));
  }, opts.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

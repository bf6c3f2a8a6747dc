import type { Core } from '../../../core/index.js';
import { createComplianceQueries } from '../compliance-state/compliance.queries.js';
import type { ComplianceRule } from '../compliance/rule.types.js';
import type { HostCompliance } from '../hosts/host.view.js';
import type { DriftHook } from './drift.js';
import { createHostLocks } from './host-lock.js';
import { createScanJob, type ScanEngine } from './scan-job.js';
import { createScanRunStore } from './scan-runs.store.js';
import { createScanScheduler } from './scan-scheduler.js';
import { createScanService } from './scan.service.js';
import { hostChangeAnnouncer } from '../common/host-changes.js';

/** Scans and compliance state, built once per core: the routes, the job handler and the scheduler share it. */
export function createScanning(core: Core, opts: { engine: () => ScanEngine; onDrift: () => DriftHook }) {
  const runs = createScanRunStore(core.db, hostChangeAnnouncer(core.events));
  const locks = createHostLocks(core.db, core.now);
  const scans = createScanService(core, runs);
  const compliance = createComplianceQueries(core.db);
  // The engine is read at each use, so the parts that provide it (SSH, rules, system configs) can be wired later.
  const engine: ScanEngine = {
    openSession: (host, signal) => opts.engine().openSession(host, signal),
    rules: () => opts.engine().rules(),
    evaluate: (session, rules, o) => opts.engine().evaluate(session, rules, o),
    variables: () => opts.engine().variables(),
    scanConfig: () => opts.engine().scanConfig(),
  };
  const job = createScanJob({
    db: core.db,
    now: core.now,
    logger: core.logger.child({ component: 'fleet.scan' }),
    audit: core.audit,
    runs,
    locks,
    engine,
    onDrift: opts.onDrift,
  });
  const scheduler = createScanScheduler({ core, scans, scanConfig: engine.scanConfig });

  /**
   * The host list's compliance columns for a page of hosts, in two or three queries (roll-ups, active scans, and
   * under ?framework the counts of that framework's rules).
   */
  async function complianceOf(hostIds: string[], framework?: string): Promise<Map<string, HostCompliance>> {
    const [rollups, active, lens] = await Promise.all([
      compliance.hostCompliances(hostIds),
      runs.activeStates(hostIds),
      framework ? compliance.summariesUnder(hostIds, framework) : undefined,
    ]);
    const empty = { passing: 0, failing: 0, skipped: 0, error: 0, total: 0, critical_failing: 0 };
    const out = new Map<string, HostCompliance>();
    for (const id of hostIds) {
      const rollup = rollups.get(id);
      const state = active.get(id);
      if (!rollup?.latest_scan_id && !state) continue;
      out.set(id, {
        compliance_summary: lens ? (lens.get(id) ?? empty) : rollup ? compliance.summaryOf(rollup) : empty,
        last_scan_at: rollup?.last_scan_at ?? null,
        latest_scan_id: rollup?.latest_scan_id ?? null,
        scan_state: state === 'queued' || state === 'running' ? state : null,
      });
    }
    return out;
  }

  /**
   * The rule set by id, for titles and descriptions beside stored results. Reads of stored state must not fail with
   * it: when the rules cannot be loaded the lists fall back to what the results stored, as OpenWatch's do.
   */
  async function ruleCatalog(): Promise<Map<string, ComplianceRule>> {
    try {
      return new Map((await engine.rules()).map((r) => [r.id, r]));
    } catch (err) {
      core.logger.warn({ err }, 'the rule set cannot be loaded; showing stored results without it');
      return new Map();
    }
  }

  return { runs, locks, scans, compliance, job, scheduler, engine, complianceOf, ruleCatalog, now: core.now };
}

export type Scanning = ReturnType<typeof createScanning>;

import type { Core } from '../../../core/index.js';
import { createComplianceQueries } from '../compliance-state/compliance.queries.js';
import type { DriftHook } from './drift.js';
import { createHostLocks } from './host-lock.js';
import { createScanJob, type ScanEngine } from './scan-job.js';
import { createScanRunStore } from './scan-runs.store.js';
import { createScanScheduler } from './scan-scheduler.js';
import { createScanService } from './scan.service.js';

/** Scans and compliance state, built once per core: the routes, the job handler and the scheduler share it. */
export function createScanning(core: Core, opts: { engine: () => ScanEngine; onDrift: () => DriftHook }) {
  const runs = createScanRunStore(core.db);
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
  return { runs, locks, scans, compliance, job, scheduler, engine, now: core.now };
}

export type Scanning = ReturnType<typeof createScanning>;

import type { AuditService } from '../../../core/audit/audit.service.js';
import type { Database } from '../../../core/db/database.js';
import type { Job, JobContext, JobHandler } from '../../../core/jobs/job.types.js';
import type { Logger } from '../../../core/logger.js';
import type { ComplianceRule, HostFacts, RuleResult } from '../compliance/rule.types.js';
import { recordScanResults, type ScanRuleResult } from '../compliance-state/record-scan.js';
import { rescanIntervalMinutes } from '../compliance-state/score.js';
import { matchesFramework } from '../compliance-state/frameworks.js';
import type { FleetHostRow } from '../hosts/hosts.tables.js';
import { SshConnectError, type HostSession } from '../ssh/ssh.types.js';
import { classifyDrift, type DriftHook } from './drift.js';
import type { HostLockClaim, HostLocks } from './host-lock.js';
import { policyVersion } from './policy-version.js';
import type { ScanConfig } from './scan-config.js';
import type { ScanRun, ScanRunStore } from './scan-runs.store.js';

export const SCAN_JOB = 'fleet.scan';

export interface ScanJobPayload {
  scan_id: string;
  host_id: string;
}

/** What a scan needs from the rest of the fleet: the transport, the engine and the settings. */
export interface ScanEngine {
  /** Opens the one SSH session this scan uses, with the host's resolved credential. */
  openSession(host: FleetHostRow, signal: AbortSignal): Promise<HostSession>;
  /** The rule set scans evaluate. */
  rules(): Promise<ComplianceRule[]>;
  /** Evaluates rules over the session. */
  evaluate(session: HostSession, rules: ComplianceRule[], opts: { facts: HostFacts; variables: Record<string, string> }): Promise<RuleResult[]>;
  /** Site variables (PUT system/scan/variables). */
  variables(): Promise<Record<string, string>>;
  scanConfig(): Promise<ScanConfig>;
}

export interface ScanJobDeps {
  db: Database;
  now: () => Date;
  logger: Logger;
  audit: AuditService;
  runs: ScanRunStore;
  locks: HostLocks;
  engine: ScanEngine;
  /** Read at each completed scan, so the alerts part can wire it after the services are built. */
  onDrift: () => DriftHook;
}

/** Another attempt may succeed: the host was busy, unreachable or slow. */
class RetryableScanError extends Error {}

const SYSTEM_ACTOR = { type: 'system' as const, id: null, name: 'the system' };

/**
 * The fleet.scan job: one SSH session per host per scan, every rule evaluated over it, and the results, the
 * host's rule state, the change log and the scan's outcome written in one transaction. The host lock keeps one
 * scan per host at a time across nodes; a worker killed mid-scan leaves the job to be reaped by lease and run
 * again by another worker, which finds the lock lapsed with it.
 */
export function createScanJob(deps: ScanJobDeps): JobHandler<ScanJobPayload> {
  const iso = () => deps.now().toISOString();

  async function audit(run: ScanRun, action: string, details: Record<string, unknown>) {
    await deps.audit.record({
      actor: SYSTEM_ACTOR,
      action,
      resource: { type: 'scan', id: run.id },
      result: action.endsWith('failed') ? 'failure' : 'success',
      correlationId: run.correlation_id,
      details: { host_id: run.host_id, ...details },
    });
  }

  async function fail(run: ScanRun, reason: string) {
    await deps.db.transaction(async () => {
      await deps.runs.markFailed(run.id, reason, iso());
      await audit(run, 'compliance.scan.failed', { reason });
    });
  }

  async function evaluate(run: ScanRun, host: FleetHostRow, signal: AbortSignal): Promise<{ results: ScanRuleResult[]; version: string; config: ScanConfig }> {
    const [ruleSet, variables, config] = await Promise.all([deps.engine.rules(), deps.engine.variables(), deps.engine.scanConfig()]);
    const rules = run.framework ? ruleSet.filter((r) => matchesFramework(r.frameworkRefs, run.framework!)) : ruleSet;
    const session = await deps.engine.openSession(host, signal);
    try {
      const facts: HostFacts = {
        os_family: host.os_family,
        os_version: host.os_version,
        platform_identifier: host.platform_identifier,
        architecture: host.architecture,
      };
      const results = await deps.engine.evaluate(session, rules, { facts, variables });
      const category = new Map(rules.map((r) => [r.id, r.category]));
      return { results: results.map((r) => ({ ...r, category: category.get(r.rule_id) ?? 'uncategorized' })), version: policyVersion(rules), config };
    } finally {
      await session.close().catch(() => undefined);
    }
  }

  async function complete(run: ScanRun, claim: HostLockClaim, outcome: Awaited<ReturnType<typeof evaluate>>) {
    const now = iso();
    const recorded = await deps.db.transaction(async () => {
      await deps.locks.fence(claim);
      // Cancelled while it ran: its results are not recorded.
      if (!(await deps.runs.stillActive(run.id))) return null;
      const written = await recordScanResults(deps.db, {
        scanId: run.id,
        hostId: run.host_id,
        results: outcome.results,
        now,
        intervalMinutes: (state) => rescanIntervalMinutes(state, outcome.config),
      });
      await deps.runs.markCompleted(run.id, { counts: written.counts, score: written.score, policyVersion: outcome.version, now });
      await audit(run, 'compliance.scan.completed', { score: written.score, ...written.counts, changes: written.changes });
      return written;
    });
    if (recorded) await reportDrift(run, recorded.score);
  }

  async function reportDrift(run: ScanRun, current: number | null) {
    const previous = (await deps.runs.previousCompleted(run.host_id, run.id))?.score ?? null;
    const kind = classifyDrift(previous, current);
    if (!kind || previous === null || current === null) return;
    try {
      await deps.onDrift()({ host_id: run.host_id, kind, previous, current, scan_id: run.id });
    } catch (err) {
      deps.logger.error({ err, scan_id: run.id }, 'the drift hook failed');
    }
  }

  /** Whether a failure is worth another attempt (and there is one left), or final. */
  function retryable(err: unknown, job: Job): boolean {
    if (job.attempts >= job.max_attempts) return false;
    if (err instanceof SshConnectError) return err.kind === 'unreachable' || err.kind === 'timeout' || err.kind === 'protocol';
    return true;
  }

  return async (job: Job<ScanJobPayload>, ctx: JobContext) => {
    const run = await deps.runs.get(job.payload.scan_id);
    if (!run || run.status === 'completed' || run.status === 'failed') return; // finished (or deleted) already
    const host = await deps.db.kysely.selectFrom('fleet_hosts').selectAll().where('id', '=', run.host_id).executeTakeFirst();
    if (!host || host.deleted_at) return fail(run, 'the host was deleted');

    const claim: HostLockClaim = { hostId: run.host_id, scanId: run.id, holder: `${job.locked_by}#${job.attempts}` };
    const lockedUntil = job.locked_until ?? new Date(deps.now().getTime() + 60_000).toISOString();
    if (!(await deps.locks.claim(claim, lockedUntil))) {
      const reason = `host ${run.host_id} is being scanned by another worker`;
      if (job.attempts >= job.max_attempts) return fail(run, reason);
      throw new RetryableScanError(reason);
    }
    try {
      await deps.runs.markRunning(run.id, iso(), job.attempts);
      const outcome = await evaluate(run, host, ctx.signal);
      await complete(run, claim, outcome);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (ctx.signal.aborted) throw err; // the lease ran out or the worker stops: the job is taken over as it is
      if (retryable(err, job)) {
        await deps.runs.requeue(run.id, reason);
        throw err;
      }
      await fail(run, reason);
    } finally {
      await deps.locks.release(claim).catch(() => undefined);
    }
  };
}

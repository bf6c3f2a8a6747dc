import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import type { Evidence, FrameworkRefs } from '../compliance/rule.types.js';
import { scanErrors } from './scan-errors.js';
import { SCAN_JOB, type ScanJobPayload } from './scan-job.js';
import type { ScanRun, ScanRunFilter, ScanRunStore } from './scan-runs.store.js';
import type { TriggerSource } from './scans.tables.js';

export interface ScanRequest {
  trigger: TriggerSource;
  requestedBy: string | null;
  correlationId: string | null;
  framework?: string | null;
}

export interface ScanResultView {
  rule_id: string;
  title: string;
  category: string;
  status: string;
  severity: string;
  framework_refs: FrameworkRefs;
  skip_reason: string | null;
  evidence_sha256: string | null;
}

/** Queues scans and reads them back with their results and evidence. */
export function createScanService(core: Core, runs: ScanRunStore) {
  const db = core.db;

  async function liveHost(hostId: string) {
    const host = await db.kysely.selectFrom('fleet_hosts').select(['id', 'deleted_at']).where('id', '=', hostId).executeTakeFirst();
    if (!host || host.deleted_at) throw scanErrors.hostNotFound(hostId);
  }

  async function get(scanId: string): Promise<ScanRun> {
    const run = await runs.get(scanId);
    if (!run) throw scanErrors.scanNotFound(scanId);
    return run;
  }

  return {
    liveHost,
    get,

    /**
     * Queues a scan of the host and its fleet.scan job in the caller's transaction. A host with a queued or running
     * scan is a 409 naming it; the unique index settles two requests racing past the check.
     */
    async request(hostId: string, req: ScanRequest): Promise<ScanRun> {
      return db.transaction(async () => {
        await liveHost(hostId);
        const active = await runs.activeFor(hostId);
        if (active) throw scanErrors.scanActive(active);
        const scanId = randomUUID();
        const job = await core.jobs.queue.enqueue<ScanJobPayload>(SCAN_JOB, { scan_id: scanId, host_id: hostId }, { correlationId: req.correlationId });
        const run: ScanRun = {
          id: scanId,
          host_id: hostId,
          job_id: job.id,
          status: 'queued',
          trigger_source: req.trigger,
          requested_by: req.requestedBy,
          framework: req.framework ?? null,
          queued_at: core.now().toISOString(),
          started_at: null,
          finished_at: null,
          policy_version: '',
          rules_pass: 0,
          rules_fail: 0,
          rules_skipped: 0,
          rules_error: 0,
          score: null,
          attempts: 0,
          failure_reason: null,
          correlation_id: req.correlationId,
        };
        try {
          await runs.insert(run);
        } catch (err) {
          if (db.dialect.isUniqueViolation(err)) throw scanErrors.scanActive(undefined);
          throw err;
        }
        return run;
      });
    },

    list: (filter: ScanRunFilter) => runs.list(filter),

    /**
     * Cancels a queued or running scan: it ends as failed, "cancelled by <who>". A queued scan never runs; a running
     * one finishes the checks in flight and records none of its results. 409 scans.not_active once it has finished.
     */
    async cancel(scanId: string, by: string): Promise<ScanRun> {
      const run = await get(scanId);
      const reason = `cancelled by ${by}`;
      if (!(await runs.cancel(scanId, reason, core.now().toISOString()))) throw scanErrors.notActive(await get(scanId));
      return { ...run, status: 'failed', failure_reason: reason };
    },

    /** The scanned host's name and address, deleted or not (a scan outlives its host's soft delete). */
    hostOf: (hostId: string) =>
      db.kysely.selectFrom('fleet_hosts').select(['id', 'hostname', 'ip_address']).where('id', '=', hostId).executeTakeFirst(),

    async results(scanId: string): Promise<ScanResultView[]> {
      const rows = await db.kysely
        .selectFrom('fleet_scan_results')
        .select(['rule_id', 'title', 'category', 'status', 'severity', 'framework_refs', 'skip_reason', 'evidence_sha256'])
        .where('scan_id', '=', scanId)
        .orderBy('rule_id')
        .execute();
      return rows.map((r) => ({ ...r, framework_refs: db.dialect.fromJson<FrameworkRefs>(r.framework_refs) }));
    },

    /** One rule's result in a scan with its evidence body; 404 when the scan did not evaluate the rule. */
    async evidence(scanId: string, ruleId?: string): Promise<(ScanResultView & { evidence: Evidence | null })[]> {
      await get(scanId);
      let q = db.kysely
        .selectFrom('fleet_scan_results as r')
        .leftJoin('fleet_scan_evidence as e', 'e.sha256', 'r.evidence_sha256')
        .select(['r.rule_id', 'r.title', 'r.category', 'r.status', 'r.severity', 'r.framework_refs', 'r.skip_reason', 'r.evidence_sha256', 'e.body'])
        .where('r.scan_id', '=', scanId);
      if (ruleId !== undefined) q = q.where('r.rule_id', '=', ruleId);
      const rows = await q.orderBy('r.rule_id').execute();
      if (ruleId !== undefined && rows.length === 0) throw scanErrors.ruleNotInScan(scanId, ruleId);
      return rows.map(({ body, ...r }) => ({
        ...r,
        framework_refs: db.dialect.fromJson<FrameworkRefs>(r.framework_refs),
        evidence: body == null ? null : db.dialect.fromJson<Evidence>(body),
      }));
    },
  };
}

export type ScanService = ReturnType<typeof createScanService>;

import { createHash, randomUUID } from 'node:crypto';
import type { Database } from '../../../core/db/database.js';
import type { Evidence, RuleResult, RuleStatus } from '../compliance/rule.types.js';
import type { StatusCounts } from '../scans/scan-runs.store.js';
import type { ChangeKind, ComplianceState, FleetComplianceTransactionRow, FleetHostRuleStateRow } from '../scans/scans.tables.js';
import { frameworkKeysColumn } from './frameworks.js';
import { complianceScore, complianceState } from './score.js';

/** A rule's verdict with the catalog category the result contract does not carry. */
export type ScanRuleResult = RuleResult & { category: string };

export interface RecordedScan {
  counts: StatusCounts;
  score: number | null;
  state: ComplianceState;
  criticalFailing: number;
  changes: number;
}

const CHUNK = 100;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** Evidence is keyed by the sha256 of its canonical JSON, so identical output on many hosts is stored once. */
export function evidenceDigest(evidence: Evidence): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(evidence).sort(([a], [b]) => a.localeCompare(b))));
  return createHash('sha256').update(canonical).digest('hex');
}

export function countStatuses(results: readonly { status: RuleStatus }[]): StatusCounts {
  const counts: StatusCounts = { pass: 0, fail: 0, skipped: 0, error: 0 };
  for (const r of results) counts[r.status] += 1;
  return counts;
}

/** What changed for one rule since the host's current state, if anything. */
function changeOf(previous: FleetHostRuleStateRow | undefined, result: ScanRuleResult): ChangeKind | null {
  if (!previous) return 'first_seen';
  if (previous.current_status !== result.status) return 'state_changed';
  if (previous.severity !== result.severity) return 'severity_changed';
  return null;
}

/**
 * Writes a finished scan's results, the hosts' current rule state and the change log, and the host's roll-up.
 * Call it inside the transaction that completes the scan run, so all of it commits together or not at all.
 */
export async function recordScanResults(
  db: Database,
  input: { scanId: string; hostId: string; results: ScanRuleResult[]; now: string; intervalMinutes: (state: ComplianceState) => number },
): Promise<RecordedScan> {
  const { scanId, hostId, results, now } = input;
  const k = db.kysely;
  const json = db.dialect.toJson;

  const digests = new Map<ScanRuleResult, string>();
  const bodies = new Map<string, Evidence>();
  for (const r of results) {
    if (!r.evidence) continue;
    const sha = evidenceDigest(r.evidence);
    digests.set(r, sha);
    bodies.set(sha, r.evidence);
  }
  for (const batch of chunks([...bodies])) {
    await k
      .insertInto('fleet_scan_evidence')
      .values(batch.map(([sha256, body]) => ({ sha256, body: json(body), created_at: now })))
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute();
  }

  for (const batch of chunks(results)) {
    await k
      .insertInto('fleet_scan_results')
      .values(
        batch.map((r) => ({
          scan_id: scanId,
          rule_id: r.rule_id,
          host_id: hostId,
          title: r.title,
          category: r.category,
          status: r.status,
          severity: r.severity,
          framework_refs: json(r.framework_refs),
          skip_reason: r.skip_reason,
          evidence_sha256: digests.get(r) ?? null,
        })),
      )
      .execute();
  }

  const previousRows = await k.selectFrom('fleet_host_rule_state').selectAll().where('host_id', '=', hostId).execute();
  const previous = new Map(previousRows.map((row) => [row.rule_id, row]));
  const log: FleetComplianceTransactionRow[] = [];
  const states: FleetHostRuleStateRow[] = results.map((r) => {
    const before = previous.get(r.rule_id);
    const change = changeOf(before, r);
    if (change) {
      log.push({
        id: randomUUID(),
        host_id: hostId,
        rule_id: r.rule_id,
        scan_id: scanId,
        change_kind: change,
        status: r.status,
        previous_status: before?.current_status ?? null,
        severity: r.severity,
        previous_severity: before?.severity ?? null,
        occurred_at: now,
      });
    }
    const statusChanged = !before || before.current_status !== r.status;
    return {
      host_id: hostId,
      rule_id: r.rule_id,
      current_status: r.status,
      severity: r.severity,
      title: r.title,
      category: r.category,
      framework_refs: json(r.framework_refs),
      framework_keys: frameworkKeysColumn(r.framework_refs),
      last_scan_id: scanId,
      first_seen_at: before?.first_seen_at ?? now,
      last_checked_at: now,
      last_changed_at: statusChanged ? now : before.last_changed_at,
      check_count: Number(before?.check_count ?? 0) + 1,
    };
  });
  for (const batch of chunks(states)) {
    await k
      .insertInto('fleet_host_rule_state')
      .values(batch)
      .onConflict((oc) =>
        oc.columns(['host_id', 'rule_id']).doUpdateSet((eb) => ({
          current_status: eb.ref('excluded.current_status'),
          severity: eb.ref('excluded.severity'),
          title: eb.ref('excluded.title'),
          category: eb.ref('excluded.category'),
          framework_refs: eb.ref('excluded.framework_refs'),
          framework_keys: eb.ref('excluded.framework_keys'),
          last_scan_id: eb.ref('excluded.last_scan_id'),
          last_checked_at: eb.ref('excluded.last_checked_at'),
          last_changed_at: eb.ref('excluded.last_changed_at'),
          check_count: eb.ref('excluded.check_count'),
        })),
      )
      .execute();
  }
  for (const batch of chunks(log)) await k.insertInto('fleet_compliance_transactions').values(batch).execute();

  const counts = countStatuses(results);
  const score = complianceScore(counts.pass, counts.fail);
  const state = complianceState(score);
  const criticalFailing = results.filter((r) => r.status === 'fail' && r.severity === 'critical').length;
  const interval = input.intervalMinutes(state);
  const summary = {
    latest_scan_id: scanId,
    last_scan_at: now,
    passing: counts.pass,
    failing: counts.fail,
    skipped: counts.skipped,
    error: counts.error,
    total: results.length,
    critical_failing: criticalFailing,
    score,
    compliance_state: state,
    interval_minutes: interval,
    next_scan_at: new Date(Date.parse(now) + interval * 60_000).toISOString(),
    updated_at: now,
  };
  await k
    .insertInto('fleet_host_compliance')
    .values({ host_id: hostId, ...summary })
    .onConflict((oc) => oc.column('host_id').doUpdateSet(summary))
    .execute();

  const snapshot = { score, passing: counts.pass, failing: counts.fail, total: results.length, critical_failing: criticalFailing, updated_at: now };
  await k
    .insertInto('fleet_compliance_snapshots')
    .values({ host_id: hostId, day: now.slice(0, 10), ...snapshot })
    .onConflict((oc) => oc.columns(['host_id', 'day']).doUpdateSet(snapshot))
    .execute();

  return { counts, score, state, criticalFailing, changes: log.length };
}

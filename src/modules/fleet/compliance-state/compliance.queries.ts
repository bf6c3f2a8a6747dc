import { sql } from 'kysely';
import type { Database } from '../../../core/db/database.js';
import type { FrameworkRefs } from '../compliance/rule.types.js';
import type { ComplianceState, FleetHostComplianceRow, FleetHostRuleStateRow } from '../scans/scans.tables.js';
import { frameworkPattern } from './frameworks.js';
import { COMPLIANCE_STATES } from './score.js';

export type HostCompliance = FleetHostComplianceRow;

export interface RuleState extends Omit<FleetHostRuleStateRow, 'framework_refs' | 'framework_keys'> {
  framework_refs: FrameworkRefs;
}

export interface ComplianceSummary {
  passing: number;
  failing: number;
  skipped: number;
  error: number;
  total: number;
  critical_failing: number;
}

const num = (v: unknown) => Number(v ?? 0);

/**
 * Reads of the compliance state: a rule's state counts only while it belongs to the host's latest completed scan
 * (host_rule_state.last_scan_id = host_compliance.latest_scan_id), and soft-deleted hosts count nowhere.
 */
export function createComplianceQueries(db: Database) {
  const k = () => db.kysely;

  /** Current rule states of live hosts, optionally under a framework lens. */
  function currentStates(framework?: string) {
    let q = k()
      .selectFrom('fleet_host_rule_state as s')
      .innerJoin('fleet_host_compliance as c', (j) => j.onRef('c.host_id', '=', 's.host_id').onRef('c.latest_scan_id', '=', 's.last_scan_id'))
      .innerJoin('fleet_hosts as h', 'h.id', 's.host_id')
      .where('h.deleted_at', 'is', null);
    if (framework) q = q.where('s.framework_keys', 'like', frameworkPattern(framework));
    return q;
  }

  const summaryOf = (row: FleetHostComplianceRow): ComplianceSummary => ({
    passing: num(row.passing),
    failing: num(row.failing),
    skipped: num(row.skipped),
    error: num(row.error),
    total: num(row.total),
    critical_failing: num(row.critical_failing),
  });

  const hostComplianceOf = (row: FleetHostComplianceRow): HostCompliance => ({
    ...row,
    ...summaryOf(row),
    score: row.score === null ? null : Number(row.score),
    interval_minutes: num(row.interval_minutes),
  });

  return {
    summaryOf,

    async hostCompliance(hostId: string): Promise<HostCompliance | undefined> {
      const row = await k().selectFrom('fleet_host_compliance').selectAll().where('host_id', '=', hostId).executeTakeFirst();
      return row && hostComplianceOf(row);
    },

    /** The roll-ups of many hosts in one query (the host list's compliance columns). */
    async hostCompliances(hostIds: string[]): Promise<Map<string, HostCompliance>> {
      if (hostIds.length === 0) return new Map();
      const rows = await k().selectFrom('fleet_host_compliance').selectAll().where('host_id', 'in', hostIds).execute();
      return new Map(rows.map((row) => [row.host_id, hostComplianceOf(row)]));
    },

    async hostMaintenance(hostId: string): Promise<boolean> {
      const row = await k().selectFrom('fleet_hosts').select('maintenance_mode').where('id', '=', hostId).executeTakeFirst();
      return db.dialect.fromBool(row?.maintenance_mode);
    },

    /** A host's current rule states (its latest completed scan), optionally under a framework lens. */
    async hostRuleStates(hostId: string, framework?: string): Promise<RuleState[]> {
      const rows = await currentStates(framework).selectAll('s').where('s.host_id', '=', hostId).execute();
      return rows.map(({ framework_keys: _keys, ...row }) => ({
        ...row,
        check_count: num(row.check_count),
        framework_refs: db.dialect.fromJson<FrameworkRefs>(row.framework_refs),
      }));
    },

    /** Passing rules over passing plus failing ones, across every live host's current state. */
    async fleetScore(framework?: string): Promise<{ passing_fraction: number; total_evaluations: number }> {
      let passing: number;
      let failing: number;
      if (framework) {
        const row = await currentStates(framework)
          .select([
            sql<number>`sum(case when s.current_status = 'pass' then 1 else 0 end)`.as('passing'),
            sql<number>`sum(case when s.current_status = 'fail' then 1 else 0 end)`.as('failing'),
          ])
          .executeTakeFirstOrThrow();
        passing = num(row.passing);
        failing = num(row.failing);
      } else {
        // The per-host roll-up already holds the counts: one row per host instead of one per rule.
        const row = await k()
          .selectFrom('fleet_host_compliance as c')
          .innerJoin('fleet_hosts as h', 'h.id', 'c.host_id')
          .where('h.deleted_at', 'is', null)
          .select([sql<number>`sum(c.passing)`.as('passing'), sql<number>`sum(c.failing)`.as('failing')])
          .executeTakeFirstOrThrow();
        passing = num(row.passing);
        failing = num(row.failing);
      }
      const total = passing + failing;
      return { passing_fraction: total === 0 ? 0 : passing / total, total_evaluations: total };
    },

    async topFailingRules(limit: number, framework?: string): Promise<{ rule_id: string; failing_host_count: number }[]> {
      const rows = await currentStates(framework)
        .where('s.current_status', '=', 'fail')
        .select(['s.rule_id', sql<number>`count(*)`.as('n')])
        .groupBy('s.rule_id')
        .orderBy(sql`count(*)`, 'desc')
        .orderBy('s.rule_id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ rule_id: r.rule_id, failing_host_count: num(r.n) }));
    },

    async topFailingHosts(limit: number): Promise<{ host_id: string; failing_rule_count: number }[]> {
      const rows = await k()
        .selectFrom('fleet_host_compliance as c')
        .innerJoin('fleet_hosts as h', 'h.id', 'c.host_id')
        .where('h.deleted_at', 'is', null)
        .where('c.failing', '>', 0)
        .select(['c.host_id', 'c.failing'])
        .orderBy('c.failing', 'desc')
        .orderBy('c.host_id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ host_id: r.host_id, failing_rule_count: num(r.failing) }));
    },

    /** The change log, newest first. */
    async recentChanges(limit: number, since?: string) {
      let q = k()
        .selectFrom('fleet_compliance_transactions as t')
        .innerJoin('fleet_hosts as h', 'h.id', 't.host_id')
        .where('h.deleted_at', 'is', null)
        .select(['t.id', 't.host_id', 't.rule_id', 't.status', 't.severity', 't.change_kind', 't.occurred_at', 't.previous_status', 't.scan_id']);
      if (since) q = q.where('t.occurred_at', '>=', since);
      return q.orderBy('t.occurred_at', 'desc').orderBy('t.id', 'desc').limit(limit).execute();
    },

    /** Hosts per compliance state in ladder order; a live host never scanned is unknown. */
    async stateCounts(): Promise<{ state: ComplianceState; host_count: number }[]> {
      const rows = await k()
        .selectFrom('fleet_hosts as h')
        .leftJoin('fleet_host_compliance as c', 'c.host_id', 'h.id')
        .where('h.deleted_at', 'is', null)
        .select([sql<string>`coalesce(c.compliance_state, 'unknown')`.as('state'), sql<number>`count(*)`.as('n')])
        .groupBy(sql`coalesce(c.compliance_state, 'unknown')`)
        .execute();
      return COMPLIANCE_STATES.map((state) => ({ state, host_count: num(rows.find((r) => r.state === state)?.n) }));
    },

    async hostTrend(hostId: string, sinceDay: string) {
      const rows = await k()
        .selectFrom('fleet_compliance_snapshots')
        .selectAll()
        .where('host_id', '=', hostId)
        .where('day', '>=', sinceDay)
        .orderBy('day')
        .execute();
      return rows.map((r) => ({ date: r.day, score_pct: r.score === null ? 0 : Number(r.score), passing: num(r.passing), failing: num(r.failing), total: num(r.total) }));
    },

    async fleetTrend(sinceDay: string) {
      const rows = await k()
        .selectFrom('fleet_compliance_snapshots as s')
        .innerJoin('fleet_hosts as h', 'h.id', 's.host_id')
        .where('h.deleted_at', 'is', null)
        .where('s.day', '>=', sinceDay)
        .select([
          's.day',
          sql<number>`avg(s.score)`.as('avg_score'),
          sql<number>`count(*)`.as('hosts'),
          sql<number>`sum(s.failing)`.as('failing'),
          sql<number>`sum(case when s.critical_failing > 0 then 1 else 0 end)`.as('critical_hosts'),
        ])
        .groupBy('s.day')
        .orderBy('s.day')
        .execute();
      return rows.map((r) => ({
        date: r.day,
        avg_score_pct: r.avg_score === null ? 0 : Math.round(Number(r.avg_score) * 10) / 10,
        hosts: num(r.hosts),
        failing: num(r.failing),
        critical_hosts: num(r.critical_hosts),
      }));
    },
  };
}

export type ComplianceQueries = ReturnType<typeof createComplianceQueries>;

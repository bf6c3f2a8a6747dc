import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import type { Severity } from '../compliance/rule.types.js';
import { controlIds, frameworkFamily } from '../compliance-state/frameworks.js';
import type { RuleState } from '../compliance-state/compliance.queries.js';
import { COMPLIANCE_STATES } from '../compliance-state/score.js';
import { scanErrors } from '../scans/scan-errors.js';
import type { Scanning } from '../scans/scanning.js';
import { clampedInt, frameworkParam, idParam, uuidOrNothing } from './query-params.js';

const tags = ['fleet: compliance'];

const SEVERITY_ORDER: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 } satisfies Record<Severity, number>;
const bySeverity = (a: RuleState, b: RuleState) => (SEVERITY_ORDER[a.severity] ?? 4) - (SEVERITY_ORDER[b.severity] ?? 4);

/** passing/total as a percentage with one decimal; 0 when total is 0 (OpenWatch's lens score). */
const pct = (passing: number, total: number) => (total === 0 ? 0 : Math.round((passing / total) * 1000) / 10);

const dayBefore = (now: Date, days: number) => new Date(now.getTime() - (days - 1) * 86_400_000).toISOString().slice(0, 10);

const lensSummary = z.object({
  passing: z.number().int(), failing: z.number().int(), skipped: z.number().int(), error: z.number().int(), total: z.number().int(),
  score_pct: z.number(),
});
const frameworkEntry = z.object({ framework_id: z.string(), rule_count: z.number().int(), passing: z.number().int(), failing: z.number().int(), score_pct: z.number() });

function countOf(states: RuleState[]) {
  const count = (s: string) => states.filter((r) => r.current_status === s).length;
  const passing = count('pass');
  return { passing, failing: count('fail'), skipped: count('skipped'), error: count('error'), total: states.length, score_pct: pct(passing, states.length) };
}

/** The per-host compliance lens (one scan, many framework views), its schedule, trend and failing rules, and the framework list. */
export function complianceRoutes(scanning: Scanning): RouteDefinition<any>[] {
  const { scans, compliance, runs, engine } = scanning;
  const hostOr404 = async (id: string) => {
    if (!uuidOrNothing(id)) throw scanErrors.hostNotFound(id);
    await scans.liveHost(id);
  };

  return [
    defineRoute({
      method: 'GET', path: '/api/v1/compliance/frameworks', surface: 'fleet', permission: 'host:read', tags,
      summary: 'The frameworks the rule set maps to, with their families and rule counts',
      schema: {
        response: z.object({ frameworks: z.array(z.object({ id: z.string(), family: z.string(), rule_count: z.number().int() })) }),
      },
      handler: async () => {
        const counts = new Map<string, number>();
        for (const rule of await engine.rules()) for (const key of Object.keys(rule.frameworkRefs)) counts.set(key, (counts.get(key) ?? 0) + 1);
        const frameworks = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([id, rule_count]) => ({ id, family: frameworkFamily(id), rule_count }));
        return { frameworks };
      },
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/hosts/:id/compliance', surface: 'fleet', permission: 'host:read', tags,
      summary: "A host's compliance lens: latest scan, summary, categories and every rule (no check output)",
      schema: {
        params: idParam,
        query: z.object({ framework: frameworkParam.optional() }),
        response: z.object({
          scan_context: z.object({ last_scan_at: z.string().nullable(), scan_id: z.string().nullable(), policy_version: z.string(), duration_seconds: z.number().int().nullable() }),
          summary: lensSummary,
          categories: z.array(z.object({ category: z.string(), passing: z.number().int(), failing: z.number().int(), total: z.number().int() })),
          rules: z.array(z.object({
            rule_id: z.string(), title: z.string(), description: z.string(), category: z.string(), severity: z.string(), status: z.string(),
            control_ids: z.array(z.string()), last_checked_at: z.string(),
          })),
        }),
      },
      handler: async ({ params, query }) => {
        await hostOr404(params.id);
        const host = await compliance.hostCompliance(params.id);
        const latest = host?.latest_scan_id ? await runs.get(host.latest_scan_id) : undefined;
        const states = (await compliance.hostRuleStates(params.id, query.framework)).sort((a, b) => bySeverity(a, b) || a.rule_id.localeCompare(b.rule_id));
        const catalog = await scanning.ruleCatalog();
        const categories = new Map<string, RuleState[]>();
        for (const s of states) categories.set(s.category || 'uncategorized', [...(categories.get(s.category || 'uncategorized') ?? []), s]);
        const duration = latest?.started_at && latest.finished_at ? Math.round((Date.parse(latest.finished_at) - Date.parse(latest.started_at)) / 1000) : null;
        return {
          scan_context: { last_scan_at: latest?.finished_at ?? null, scan_id: latest?.id ?? null, policy_version: latest?.policy_version ?? '', duration_seconds: duration },
          summary: countOf(states),
          categories: [...categories]
            .map(([category, rows]) => ({ category, ...countOf(rows) }))
            .map(({ category, passing, failing, total }) => ({ category, passing, failing, total }))
            .sort((a, b) => b.failing - a.failing || a.category.localeCompare(b.category)),
          rules: states.map((s) => ({
            rule_id: s.rule_id,
            title: s.title || s.rule_id,
            description: (catalog.get(s.rule_id)?.description ?? '').trim().split(/(?<=\.)\s/)[0] ?? '',
            category: s.category || 'uncategorized',
            severity: s.severity,
            status: s.current_status,
            control_ids: controlIds(s.framework_refs, query.framework),
            last_checked_at: s.last_checked_at,
          })),
        };
      },
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/hosts/:id/compliance/schedule', surface: 'fleet', permission: 'host:read', tags,
      summary: "A host's scan schedule: band, interval, next scan and the pause flags",
      schema: {
        params: idParam,
        response: z.object({
          scheduler_enabled: z.boolean(), scheduler_paused: z.boolean(), compliance_state: z.enum(COMPLIANCE_STATES as [string, ...string[]]),
          next_scan_at: z.string().nullable(), interval_minutes: z.number().int(), host_maintenance: z.boolean(),
        }),
      },
      handler: async ({ params }) => {
        await hostOr404(params.id);
        const [row, config, maintenance] = await Promise.all([
          compliance.hostCompliance(params.id),
          engine.scanConfig(),
          compliance.hostMaintenance(params.id),
        ]);
        return {
          scheduler_enabled: config.enabled,
          scheduler_paused: !config.enabled || config.maintenance_global,
          compliance_state: row?.compliance_state ?? 'unknown',
          next_scan_at: row?.next_scan_at ?? null,
          interval_minutes: row?.interval_minutes ?? 0,
          host_maintenance: maintenance,
        };
      },
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/hosts/:id/compliance/trend', surface: 'fleet', permission: 'host:read', tags,
      summary: "Daily compliance of one host, oldest first (days 1-90, default 30)",
      schema: {
        params: idParam,
        query: z.object({ days: clampedInt('days', 1, 90, 30) }),
        response: z.object({ days: z.array(z.object({ date: z.string(), score_pct: z.number(), passing: z.number().int(), failing: z.number().int(), total: z.number().int() })) }),
      },
      handler: async ({ params, query }) => {
        await hostOr404(params.id);
        return { days: await compliance.hostTrend(params.id, dayBefore(scanning.now(), query.days)) };
      },
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/hosts/:id/compliance/frameworks', surface: 'fleet', permission: 'host:read', tags,
      summary: "The frameworks a host's rule state maps to, with per-framework scores",
      schema: { params: idParam, response: z.object({ overall: frameworkEntry, frameworks: z.array(frameworkEntry) }) },
      handler: async ({ params }) => {
        await hostOr404(params.id);
        const states = await compliance.hostRuleStates(params.id);
        const entry = (framework_id: string, rows: RuleState[]) => {
          const c = countOf(rows);
          return { framework_id, rule_count: rows.length, passing: c.passing, failing: c.failing, score_pct: pct(c.passing, rows.length) };
        };
        const keys = [...new Set(states.flatMap((s) => Object.keys(s.framework_refs)))].sort();
        return { overall: entry('all', states), frameworks: keys.map((key) => entry(key, states.filter((s) => key in s.framework_refs))) };
      },
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/hosts/:id/compliance/failed-rules', surface: 'fleet', permission: 'host:read', tags,
      summary: "A host's failing rules, most severe first (limit 1-100, default 10)",
      schema: {
        params: idParam,
        query: z.object({ limit: clampedInt('limit', 1, 100, 10), framework: frameworkParam.optional() }),
        response: z.object({
          total_failing: z.number().int(),
          rules: z.array(z.object({
            rule_id: z.string(), title: z.string(), category: z.string(), severity: z.string(), control_ids: z.array(z.string()),
            last_checked_at: z.string(), check_count: z.number().int(),
          })),
        }),
      },
      handler: async ({ params, query }) => {
        await hostOr404(params.id);
        const failing = (await compliance.hostRuleStates(params.id, query.framework))
          .filter((s) => s.current_status === 'fail')
          .sort((a, b) => bySeverity(a, b) || b.last_checked_at.localeCompare(a.last_checked_at) || a.rule_id.localeCompare(b.rule_id));
        return {
          total_failing: failing.length,
          rules: failing.slice(0, query.limit).map((s) => ({
            rule_id: s.rule_id,
            title: s.title || s.rule_id,
            category: s.category,
            severity: s.severity,
            control_ids: controlIds(s.framework_refs, query.framework),
            last_checked_at: s.last_checked_at,
            check_count: s.check_count,
          })),
        };
      },
    }),
  ];
}

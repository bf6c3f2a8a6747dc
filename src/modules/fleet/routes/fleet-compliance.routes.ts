import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../../../http/route.js';
import { COMPLIANCE_STATES } from '../compliance-state/score.js';
import type { Scanning } from '../scans/scanning.js';
import { clampedInt, frameworkParam, rfc3339, strictLimit } from './query-params.js';

const tags = ['fleet: compliance'];
const limit = strictLimit(1, 1000, 50);
const dayBefore = (now: Date, days: number) => new Date(now.getTime() - (days - 1) * 86_400_000).toISOString().slice(0, 10);

/** The fleet dashboard's compliance figures: score, worst rules and hosts, recent changes, scan queue, bands, trend. */
export function fleetComplianceRoutes(scanning: Scanning): RouteDefinition<any>[] {
  const { compliance, runs } = scanning;
  return [
    defineRoute({
      method: 'GET', path: '/api/v1/fleet/score', surface: 'fleet', permission: 'system:read', tags,
      summary: 'Fleet compliance: passing rules over passing plus failing, across every host (?framework)',
      schema: {
        query: z.object({ framework: frameworkParam.optional() }),
        response: z.object({ passing_fraction: z.number(), total_evaluations: z.number().int() }),
      },
      handler: ({ query }) => compliance.fleetScore(query.framework),
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/fleet/top-failing-rules', surface: 'fleet', permission: 'system:read', tags,
      summary: 'Rules failing on the most hosts (limit 1-1000, default 50)',
      schema: {
        query: z.object({ limit, framework: frameworkParam.optional() }),
        response: z.object({ items: z.array(z.object({ rule_id: z.string(), failing_host_count: z.number().int() })) }),
      },
      handler: async ({ query }) => ({ items: await compliance.topFailingRules(query.limit, query.framework) }),
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/fleet/top-failing-hosts', surface: 'fleet', permission: 'system:read', tags,
      summary: 'Hosts with the most failing rules (limit 1-1000, default 50)',
      schema: {
        query: z.object({ limit }),
        response: z.object({ items: z.array(z.object({ host_id: z.string(), failing_rule_count: z.number().int() })) }),
      },
      handler: async ({ query }) => ({ items: await compliance.topFailingHosts(query.limit) }),
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/fleet/recent-changes', surface: 'fleet', permission: 'system:read', tags,
      summary: 'Compliance changes (first seen, state or severity changed), newest first (?since, limit 1-1000, default 50)',
      schema: {
        query: z.object({ limit, since: rfc3339('since').optional() }),
        response: z.object({
          items: z.array(z.object({
            id: z.string(), host_id: z.string(), rule_id: z.string(), status: z.enum(['pass', 'fail', 'skipped', 'error']), severity: z.string(),
            change_kind: z.enum(['first_seen', 'state_changed', 'severity_changed']), occurred_at: z.string(),
            previous_status: z.string().nullable(), scan_id: z.string(),
          })),
        }),
      },
      handler: async ({ query }) => ({ items: await compliance.recentChanges(query.limit, query.since) }),
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/fleet/scan-queue', surface: 'fleet', permission: 'host:read', tags,
      summary: 'Scans queued and running',
      schema: { response: z.object({ queued: z.number().int(), running: z.number().int() }) },
      handler: () => runs.queueDepth(),
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/fleet/compliance/states', surface: 'fleet', permission: 'host:read', tags,
      summary: 'Hosts per compliance band, in ladder order (zero counts included)',
      schema: {
        response: z.object({ states: z.array(z.object({ state: z.enum(COMPLIANCE_STATES as [string, ...string[]]), host_count: z.number().int() })) }),
      },
      handler: async () => ({ states: await compliance.stateCounts() }),
    }),

    defineRoute({
      method: 'GET', path: '/api/v1/fleet/compliance/trend', surface: 'fleet', permission: 'host:read', tags,
      summary: 'Daily fleet compliance, oldest first (days 1-90, default 30)',
      schema: {
        query: z.object({ days: clampedInt('days', 1, 90, 30) }),
        response: z.object({
          days: z.array(z.object({ date: z.string(), avg_score_pct: z.number(), hosts: z.number().int(), failing: z.number().int(), critical_hosts: z.number().int() })),
        }),
      },
      handler: async ({ query }) => ({ days: await compliance.fleetTrend(dayBefore(scanning.now(), query.days)) }),
    }),
  ];
}

import type { SelectQueryBuilder } from 'kysely';
import type { Database } from '../../../core/db/database.js';
import type { Tables } from '../../../core/db/tables.js';
import { olderThan } from '../common/keyset-cursor.js';
import type { ActivityFilter, ActivityItem, ActivitySource } from './activity.types.js';

/** The alerts part's rows: each alert at the time it occurred. */
export function alertActivity(db: Database): ActivitySource {
  const filtered = (filter: ActivityFilter) => {
    let q = db.kysely.selectFrom('fleet_alerts');
    if (filter.severity) q = q.where('severity', '=', filter.severity);
    if (filter.host_id) q = q.where('host_id', '=', filter.host_id);
    return timeBounds(q, 'occurred_at', filter);
  };
  return {
    name: 'alert',
    permission: 'alert:read',
    async fetch(filter, page) {
      let q = filtered(filter).select(['id', 'severity', 'host_id', 'title', 'body', 'alert_type', 'state', 'occurred_at']);
      if (page.after) q = q.where(olderThan('occurred_at', 'id', page.after));
      const rows = await q.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
      return rows.map((r): ActivityItem => ({
        id: r.id, source: 'alert', severity: r.severity, host_id: r.host_id, title: r.title,
        summary: r.body || `${r.alert_type} (${r.state})`, occurred_at: r.occurred_at,
      }));
    },
    count: (filter) => countOf(filtered(filter)),
  };
}

/**
 * The shared audit trail: successes are info, failures and denials medium. Rows about a host carry its id.
 * A severity the trail never has (low, high, critical) matches none of its rows.
 */
export function auditActivity(db: Database): ActivitySource {
  const filtered = (filter: ActivityFilter) => {
    let q = db.kysely.selectFrom('audit_events');
    if (filter.severity === 'info') q = q.where('result', '=', 'success');
    else if (filter.severity === 'medium') q = q.where('result', 'in', ['failure', 'denied']);
    else if (filter.severity) q = q.where('id', 'is', null);
    if (filter.host_id) q = q.where('resource_type', '=', 'host').where('resource_id', '=', filter.host_id);
    return timeBounds(q, 'occurred_at', filter);
  };
  return {
    name: 'audit',
    permission: 'audit:read',
    async fetch(filter, page) {
      let q = filtered(filter).select(['id', 'action', 'result', 'actor_name', 'actor_type', 'resource_type', 'resource_id', 'occurred_at']);
      if (page.after) q = q.where(olderThan('occurred_at', 'id', page.after));
      const rows = await q.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
      return rows.map((r): ActivityItem => ({
        id: r.id, source: 'audit', severity: r.result === 'success' ? 'info' : 'medium',
        host_id: r.resource_type === 'host' ? r.resource_id : null, title: r.action,
        summary: `${r.actor_name ?? r.actor_type}: ${r.action} ${r.result}${r.resource_type ? ` on ${r.resource_type} ${r.resource_id ?? ''}`.trimEnd() : ''}`,
        occurred_at: r.occurred_at,
      }));
    },
    count: (filter) => countOf(filtered(filter)),
  };
}

const RULE_SEVERITIES = new Set(['critical', 'high', 'medium', 'low']);

/**
 * The scans part's change log: a rule that starts failing carries its own severity, any other change is info.
 * Rows name the host; reading them needs host:read.
 */
export function transactionActivity(db: Database): ActivitySource {
  const filtered = (filter: ActivityFilter) => {
    let q = db.kysely.selectFrom('fleet_compliance_transactions');
    if (filter.severity === 'info') q = q.where('status', '!=', 'fail');
    else if (filter.severity) q = q.where('status', '=', 'fail').where('severity', '=', filter.severity);
    if (filter.host_id) q = q.where('host_id', '=', filter.host_id);
    return timeBounds(q, 'occurred_at', filter);
  };
  return {
    name: 'transaction',
    permission: 'host:read',
    async fetch(filter, page) {
      let q = filtered(filter).select(['id', 'host_id', 'rule_id', 'status', 'previous_status', 'severity', 'change_kind', 'occurred_at']);
      if (page.after) q = q.where(olderThan('occurred_at', 'id', page.after));
      const rows = await q.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
      return rows.map((r): ActivityItem => ({
        id: r.id, source: 'transaction',
        severity: r.status === 'fail' && RULE_SEVERITIES.has(r.severity) ? (r.severity as ActivityItem['severity']) : 'info',
        host_id: r.host_id, title: `${r.rule_id}: ${r.status}`,
        summary: `${r.change_kind}${r.previous_status ? ` (was ${r.previous_status})` : ''}`, occurred_at: r.occurred_at,
      }));
    },
    count: (filter) => countOf(filtered(filter)),
  };
}

/** Monitoring state by severity: down and critical high, degraded medium, the rest info. */
const MONITORING_SEVERITY: Record<string, ActivityItem['severity']> = { down: 'high', critical: 'high', degraded: 'medium' };

/** The liveness part's history, its transitions only (a probe that changed nothing is not activity). */
export function monitoringActivity(db: Database): ActivitySource {
  const filtered = (filter: ActivityFilter) => {
    let q = db.kysely.selectFrom('fleet_monitoring_history').whereRef('monitoring_state', '!=', 'previous_state');
    if (filter.severity === 'info') q = q.where('monitoring_state', 'not in', ['down', 'critical', 'degraded']);
    else if (filter.severity === 'high') q = q.where('monitoring_state', 'in', ['down', 'critical']);
    else if (filter.severity === 'medium') q = q.where('monitoring_state', '=', 'degraded');
    else if (filter.severity) q = q.where('id', 'is', null);
    if (filter.host_id) q = q.where('host_id', '=', filter.host_id);
    return timeBounds(q, 'checked_at', filter);
  };
  return {
    name: 'monitoring',
    permission: 'host:read',
    async fetch(filter, page) {
      let q = filtered(filter).select(['id', 'host_id', 'monitoring_state', 'previous_state', 'error', 'checked_at']);
      if (page.after) q = q.where(olderThan('checked_at', 'id', page.after));
      const rows = await q.orderBy('checked_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
      return rows.map((r): ActivityItem => ({
        id: r.id, source: 'monitoring', severity: MONITORING_SEVERITY[r.monitoring_state] ?? 'info', host_id: r.host_id,
        title: `Host ${r.monitoring_state}`, summary: `${r.previous_state} -> ${r.monitoring_state}${r.error ? `: ${r.error}` : ''}`,
        occurred_at: r.checked_at,
      }));
    },
    count: (filter) => countOf(filtered(filter)),
  };
}

/** The intelligence part's events (a user added, a port opened, a watched file changed), at the severity they carry. */
export function intelligenceActivity(db: Database): ActivitySource {
  const filtered = (filter: ActivityFilter) => {
    let q = db.kysely.selectFrom('fleet_intelligence_events');
    if (filter.severity) q = q.where('severity', '=', filter.severity);
    if (filter.host_id) q = q.where('host_id', '=', filter.host_id);
    return timeBounds(q, 'occurred_at', filter);
  };
  return {
    name: 'intelligence',
    permission: 'host:read',
    async fetch(filter, page) {
      let q = filtered(filter).select(['id', 'host_id', 'event_code', 'severity', 'detail', 'occurred_at']);
      if (page.after) q = q.where(olderThan('occurred_at', 'id', page.after));
      const rows = await q.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
      return rows.map((r): ActivityItem => ({
        id: r.id, source: 'intelligence', severity: r.severity, host_id: r.host_id, title: r.event_code,
        summary: summarize(db.dialect.fromJson<Record<string, unknown>>(r.detail)), occurred_at: r.occurred_at,
      }));
    },
    count: (filter) => countOf(filtered(filter)),
  };
}

/** An event's detail as one line: its fields as key=value, by key (PostgreSQL's jsonb keeps no insertion order). */
function summarize(detail: Record<string, unknown> | null): string {
  return Object.entries(detail ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(' ');
}

/** How many rows a source's filtered query matches (what hidden_count adds up). */
async function countOf<T extends keyof Tables, O>(q: SelectQueryBuilder<Tables, T, O>): Promise<number> {
  return Number((await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
}

function timeBounds<T extends keyof Tables, O>(q: SelectQueryBuilder<Tables, T, O>, column: string, filter: ActivityFilter) {
  let out = q;
  if (filter.since) out = out.where(column as any, '>=', filter.since);
  if (filter.until) out = out.where(column as any, '<', filter.until);
  return out;
}

import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { errors, RampartError } from '../../../core/errors.js';
import type { AuditEventInput } from '../../../core/audit/audit.types.js';
import { decodeCursor, keysetPage } from '../common/keyset-cursor.js';
import { createAlertStore, type AlertFilter } from './alert.store.js';
import type { FleetAlertRow } from './alerts.tables.js';
import {
  severityOf,
  toAlert,
  TRANSITIONS,
  type Alert,
  type AlertAction,
  type DriftReport,
  type RaiseAlertInput,
} from './alert.types.js';

/** Writes one audit row for a change; a request passes its own (with client address), background work the system's. */
export type AuditWriter = (event: Pick<AuditEventInput, 'action' | 'resource' | 'result' | 'details'>) => Promise<unknown>;

/** Who moves an alert: a principal's id, or null for the system. */
export interface AlertActor {
  id: string | null;
  audit: AuditWriter;
}

export interface TransitionInput {
  reason?: string;
  /** Silence only: when the silence ends (absent: until someone acts). */
  until?: string;
}

export interface AlertServiceDeps {
  core: Core;
  /** Called in the transaction that created a new alert (not when a raise touched an open one): notifications. */
  onCreated?(alert: Alert): Promise<void>;
}

export const notFound = () => new RampartError({ code: 'alerts.not_found', status: 404, message: 'alert not found' });

/** Alerts: raising with dedup against the open row, the state machine, the silence sweeper, auto-resolution. */
export function createAlertService(deps: AlertServiceDeps) {
  const { core } = deps;
  const { db } = core;
  const store = createAlertStore(db);
  const view = (row: FleetAlertRow) => toAlert(row, db.dialect.fromJson);
  const iso = () => core.now().toISOString();

  /** The system as an actor: audit rows named "the system", as OpenWatch's operators asked for. */
  const system: AlertActor = {
    id: null,
    audit: (event) => core.audit.record({ ...event, actor: { type: 'system', id: null, name: 'the system' } }),
  };

  async function raise(input: RaiseAlertInput): Promise<{ alert: Alert; created: boolean }> {
    const dedupKey = [input.alert_type, input.host_id ?? '', input.rule_id ?? ''].join('|');
    const severity = input.severity ?? severityOf(input.alert_type);
    const now = iso();
    const row: FleetAlertRow = {
      id: randomUUID(),
      dedup_key: dedupKey,
      alert_type: input.alert_type,
      severity,
      host_id: input.host_id ?? null,
      rule_id: input.rule_id ?? null,
      title: input.title,
      body: input.body ?? '',
      tags: db.dialect.toJson({ ...input.tags, severity, alert_type: input.alert_type, host_id: input.host_id ?? '' }),
      state: 'active',
      occurred_at: input.occurred_at ?? now,
      acknowledged_by: null,
      acknowledged_at: null,
      silenced_by: null,
      silenced_until: null,
      resolved_by: null,
      resolved_at: null,
      dismissed_by: null,
      dismissed_at: null,
      created_at: now,
      updated_at: now,
    };
    return db.transaction(async () => {
      if (!(await store.insertIfNoneOpen(row))) {
        // The same condition is still open: touch that row rather than add a twin.
        const open = await store.openByKey(dedupKey);
        if (open) {
          await store.update(open.id, { updated_at: now });
          return { alert: view({ ...open, updated_at: now }), created: false };
        }
        throw errors.conflict('the alert changed while it was raised; try again');
      }
      const alert = view(row);
      await system.audit({ action: 'alert.created', resource: { type: 'alert', id: row.id }, result: 'success', details: { alert_type: row.alert_type, host_id: row.host_id, severity } });
      await deps.onCreated?.(alert);
      return { alert, created: true };
    });
  }

  /** Moves one alert (in a transaction, the row locked, with one audit row); 409 when its state does not allow it. */
  async function transition(id: string, action: AlertAction, actor: AlertActor, input: TransitionInput = {}): Promise<Alert> {
    const now = iso();
    if (action === 'silence' && input.until !== undefined && Date.parse(input.until) <= Date.parse(now)) {
      throw errors.validation('until must be in the future', { details: { field: 'until' } });
    }
    return db.transaction(async () => {
      const row = await store.getForUpdate(id);
      if (!row) throw notFound();
      const rule = TRANSITIONS[action];
      if (!rule.from.includes(row.state)) {
        throw new RampartError({
          code: 'alerts.invalid_transition',
          status: 409,
          message: `cannot ${action} an alert that is ${row.state}`,
          details: { state: row.state, action },
        });
      }
      const changes: Partial<FleetAlertRow> = { state: rule.to, updated_at: now, ...stamps(action, actor.id, now, input) };
      await store.update(id, changes);
      await actor.audit({
        action: rule.audit,
        resource: { type: 'alert', id },
        result: 'success',
        details: { from: row.state, to: rule.to, ...(input.reason ? { reason: input.reason } : {}), ...(changes.silenced_until ? { until: changes.silenced_until } : {}) },
      });
      return view({ ...row, ...changes });
    });
  }

  /** Resolves the open alerts of these types on a host, as the system. */
  async function autoResolve(hostId: string, types: string[], reason: string): Promise<void> {
    for (const { id } of await store.openOnHost(hostId, types)) await transition(id, 'resolve', system, { reason });
  }

  return {
    raise,
    transition,
    system,

    async get(id: string): Promise<Alert> {
      const row = await store.get(id);
      if (!row) throw notFound();
      return view(row);
    },

    async list(filter: AlertFilter, page: { limit: number; cursor?: string }) {
      const after = page.cursor ? decodeCursor(page.cursor) : undefined;
      const rows = await store.list(filter, { limit: page.limit, after });
      const { items, next_cursor } = keysetPage(rows, page.limit, (r) => ({ t: r.occurred_at, id: r.id }));
      return { items: items.map(view), next_cursor };
    },

    /** Returns expired silences to active (audit alert.unsilenced.auto); how many it moved. */
    async sweepSilences(): Promise<number> {
      let moved = 0;
      for (const { id } of await store.expiredSilences(iso())) {
        try {
          await transition(id, 'unsilence', system);
          moved++;
        } catch (err) {
          // Someone resolved or dismissed it meanwhile: nothing left to unsilence.
          if ((err as RampartError).code !== 'alerts.invalid_transition') throw err;
        }
      }
      return moved;
    },

    // The consumers of the other fleet parts' hooks (liveness: onLivenessChange; scans: onDrift).

    raiseHostUnreachable(hostId: string) {
      return raise({ alert_type: 'host_unreachable', host_id: hostId, title: 'Host unreachable', body: 'The host stopped answering the liveness probes.' });
    },

    /** A recovery alert (info), and the open unreachable alert of the host resolved. */
    async raiseHostRecovered(hostId: string) {
      return db.transaction(async () => {
        const raised = await raise({ alert_type: 'host_recovered', host_id: hostId, title: 'Host recovered', body: 'The host answers the liveness probes again.' });
        await autoResolve(hostId, ['host_unreachable'], 'host recovered');
        return raised;
      });
    },

    /** drift_major / drift_minor / drift_improvement; an improvement resolves the host's open drift alerts. */
    async raiseDrift(report: DriftReport) {
      const delta = Math.round((report.current - report.previous) * 10) / 10;
      const kind = report.kind.replace(/^drift_/, '');
      return db.transaction(async () => {
        const raised = await raise({
          alert_type: `drift_${kind}`,
          host_id: report.host_id,
          title: kind === 'improvement' ? 'Compliance improved' : `Compliance drift (${kind})`,
          body: `Compliance score moved from ${report.previous} to ${report.current} (${delta > 0 ? '+' : ''}${delta}) in scan ${report.scan_id}.`,
          tags: { scan_id: report.scan_id },
        });
        if (kind === 'improvement') await autoResolve(report.host_id, ['drift_major', 'drift_minor'], 'compliance improved');
        return raised;
      });
    },
  };
}

/** The columns an action stamps: who did it and when. */
function stamps(action: AlertAction, by: string | null, now: string, input: TransitionInput): Partial<FleetAlertRow> {
  switch (action) {
    case 'acknowledge':
      return { acknowledged_by: by, acknowledged_at: now };
    case 'silence':
      return { silenced_by: by, silenced_until: input.until ? new Date(input.until).toISOString() : null };
    case 'resolve':
      return { resolved_by: by, resolved_at: now };
    case 'dismiss':
      return { dismissed_by: by, dismissed_at: now };
    case 'unsilence':
      return { silenced_until: null };
  }
}

export type AlertService = ReturnType<typeof createAlertService>;

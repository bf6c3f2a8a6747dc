import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { errors, RampartError } from '../../../core/errors.js';
import type { AuditWriter } from '../alerts/alert.service.js';
import type { EnterpriseFeature } from '../license/features.js';
import { openExceptionPredicate } from './exceptions.migrations.js';
import type { ExceptionStatus, FleetExceptionRow } from './exceptions.tables.js';
import { EXCEPTIONS_FEATURE, REVIEWS, toException, type ExceptionRequestInput, type ExceptionView, type ReviewAction } from './exception.types.js';

const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 30;

export interface ExceptionActor {
  id: string;
  audit: AuditWriter;
}

export interface ExceptionServiceDeps {
  core: Core;
  /** Throws (402) when the license lacks the feature; the license part provides it. */
  requireFeature(feature: EnterpriseFeature): Promise<void> | void;
}

const conflict = (code: string, message: string, details?: Record<string, unknown>) => new RampartError({ code, status: 409, message, details });
const exceptionNotFound = () => new RampartError({ code: 'exceptions.not_found', status: 404, message: 'exception not found' });
const hostNotFound = () => new RampartError({ code: 'hosts.not_found', status: 404, message: 'host not found' });

/** Compliance exceptions: request, review with separation of duties, revoke, and expiry. */
export function createExceptionService(deps: ExceptionServiceDeps) {
  const { core } = deps;
  const { db } = core;
  const k = () => db.kysely;
  const iso = () => core.now().toISOString();
  const systemAudit: AuditWriter = (event) => core.audit.record({ ...event, actor: { type: 'system', id: null, name: 'the system' } });

  async function assertLiveHost(hostId: string): Promise<void> {
    const host = await k().selectFrom('fleet_hosts').select('id').where('id', '=', hostId).where('deleted_at', 'is', null).executeTakeFirst();
    if (!host) throw hostNotFound();
  }

  function expiryOf(input: ExceptionRequestInput, now: Date): string {
    if (input.expires_at !== undefined && input.duration_days !== undefined) throw errors.validation('give expires_at or duration_days, not both');
    const expires = input.expires_at !== undefined ? new Date(input.expires_at) : new Date(now.getTime() + (input.duration_days ?? DEFAULT_DAYS) * DAY_MS);
    if (expires.getTime() <= now.getTime()) throw errors.validation('expires_at must be in the future', { details: { field: 'expires_at' } });
    return expires.toISOString();
  }

  async function rowForUpdate(id: string): Promise<FleetExceptionRow> {
    const query = k().selectFrom('fleet_exceptions').selectAll().where('id', '=', id);
    const row = await (db.dialect.name === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
    if (!row) throw exceptionNotFound();
    return row;
  }

  return {
    async request(hostId: string, input: ExceptionRequestInput, actor: ExceptionActor): Promise<ExceptionView> {
      await deps.requireFeature(EXCEPTIONS_FEATURE);
      const now = core.now();
      const expiresAt = expiryOf(input, now);
      await assertLiveHost(hostId);
      const row: FleetExceptionRow = {
        id: randomUUID(), host_id: hostId, rule_id: input.rule_id, status: 'requested', justification: input.justification,
        requested_by: actor.id, requested_at: now.toISOString(), reviewed_by: null, reviewed_at: null, review_comment: null,
        expires_at: expiresAt, revoked_by: null, revoked_at: null, created_at: now.toISOString(), updated_at: now.toISOString(),
      };
      return db.transaction(async () => {
        const inserted = await k()
          .insertInto('fleet_exceptions')
          .values(row)
          .onConflict((oc) => oc.columns(['host_id', 'rule_id']).where(openExceptionPredicate).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) throw conflict('exceptions.duplicate', 'an open exception already exists for this host and rule');
        await actor.audit({ action: 'compliance.exception.requested', resource: { type: 'exception', id: row.id }, result: 'success', details: { host_id: hostId, rule_id: input.rule_id, expires_at: expiresAt } });
        return toException(row);
      });
    },

    async review(id: string, action: ReviewAction, actor: ExceptionActor, comment?: string): Promise<ExceptionView> {
      await deps.requireFeature(EXCEPTIONS_FEATURE);
      const rule = REVIEWS[action];
      return db.transaction(async () => {
        const row = await rowForUpdate(id);
        if (row.status !== rule.from) throw conflict('exceptions.invalid_transition', `cannot ${action} an exception that is ${row.status}`, { status: row.status, action });
        if (rule.separationOfDuties && row.requested_by === actor.id) throw conflict('exceptions.self_review', 'the requester cannot review their own exception');
        const now = iso();
        if (action === 'approve' && row.expires_at <= now) throw conflict('exceptions.expired', 'the exception expired before it was approved', { expires_at: row.expires_at });
        const changes: Partial<FleetExceptionRow> =
          action === 'revoke'
            ? { status: rule.to, revoked_by: actor.id, revoked_at: now, updated_at: now }
            : { status: rule.to, reviewed_by: actor.id, reviewed_at: now, review_comment: comment ?? null, updated_at: now };
        await k().updateTable('fleet_exceptions').set(changes).where('id', '=', id).execute();
        await actor.audit({ action: rule.audit, resource: { type: 'exception', id }, result: 'success', details: { from: row.status, to: rule.to, ...(comment ? { comment } : {}) } });
        return toException({ ...row, ...changes });
      });
    },

    async forHost(hostId: string, opts: { history: boolean }): Promise<ExceptionView[]> {
      await assertLiveHost(hostId);
      let query = k().selectFrom('fleet_exceptions').selectAll().where('host_id', '=', hostId);
      if (!opts.history) query = query.where(openExceptionPredicate);
      return (await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute()).map(toException);
    },

    async list(opts: { status?: ExceptionStatus; limit: number }): Promise<ExceptionView[]> {
      let query = k().selectFrom('fleet_exceptions').selectAll();
      if (opts.status) query = query.where('status', '=', opts.status);
      return (await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute()).map(toException);
    },

    /** Marks requested or approved exceptions past their expiry as expired, as the system; how many it moved. */
    async sweepExpired(): Promise<number> {
      const now = iso();
      const due = await k().selectFrom('fleet_exceptions').select('id').where(openExceptionPredicate).where('expires_at', '<=', now).execute();
      let moved = 0;
      for (const { id } of due) {
        await db.transaction(async () => {
          const row = await rowForUpdate(id);
          if (row.status !== 'requested' && row.status !== 'approved') return;
          await k().updateTable('fleet_exceptions').set({ status: 'expired', updated_at: now }).where('id', '=', id).execute();
          await systemAudit({ action: 'compliance.exception.expired', resource: { type: 'exception', id }, result: 'success', details: { from: row.status, expires_at: row.expires_at } });
          moved++;
        });
      }
      return moved;
    },
  };
}

export type ExceptionService = ReturnType<typeof createExceptionService>;

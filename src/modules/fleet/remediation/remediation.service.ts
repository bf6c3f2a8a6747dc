import { randomUUID } from 'node:crypto';
import type { Core } from '../../../core/index.js';
import { RampartError } from '../../../core/errors.js';
import type { AuditWriter } from '../alerts/alert.service.js';
import type { RemediationPlan } from '../compliance/remediation/plan.js';
import { decodeCursor, keysetPage, olderThan } from '../common/keyset-cursor.js';
import type { HostSession } from '../ssh/ssh.types.js';
import type { FleetRemediationRow, RemediationStatus } from './remediation.tables.js';
import { applySteps, rollbackSteps } from './step-journal.js';
import type { JournalEntry, RemediationHosts, RemediationView, StoredPlan } from './remediation.types.js';

export interface RemediationActor {
  id: string;
  audit: AuditWriter;
}

const notFound = () => new RampartError({ code: 'remediation.not_found', status: 404, message: 'remediation request not found' });
const conflict = (code: string, message: string, details?: Record<string, unknown>) => new RampartError({ code, status: 409, message, details });
const wrongState = (action: string, status: RemediationStatus) =>
  conflict('remediation.invalid_transition', `cannot ${action} a remediation request that is ${status}`, { status, action });

const storedPlan = (plan: RemediationPlan): StoredPlan => ({
  rule_id: plan.rule_id,
  mechanism: plan.mechanism,
  manual: plan.manual,
  steps: plan.steps.map((s) => ({ mechanism: s.mechanism, description: s.description })),
});

/** Field by field: PostgreSQL's jsonb does not keep key order, so serialized forms cannot be compared. */
function samePlan(a: StoredPlan, b: StoredPlan): boolean {
  return (
    a.rule_id === b.rule_id &&
    a.mechanism === b.mechanism &&
    a.manual === b.manual &&
    a.steps.length === b.steps.length &&
    a.steps.every((step, i) => step.mechanism === b.steps[i].mechanism && step.description === b.steps[i].description)
  );
}

/**
 * Remediation requests: one rule on one host, pending_approval -> approved | rejected; a dry run shows the diff
 * without changing anything; execute runs the plan over one SSH session with a step journal (executed, failed or
 * partially_applied); rollback undoes the steps that ran (rolled_back).
 */
export function createRemediationService(deps: { core: Core; hosts: () => RemediationHosts }) {
  const { core } = deps;
  const { db } = core;
  const k = () => db.kysely;
  const iso = () => core.now().toISOString();

  function view(row: FleetRemediationRow): RemediationView {
    const { plan, journal: _journal, ...rest } = row;
    return { ...rest, step_count: db.dialect.fromJson<StoredPlan>(plan).steps.length };
  }

  async function row(id: string, lock = false): Promise<FleetRemediationRow> {
    const query = k().selectFrom('fleet_remediation_requests').selectAll().where('id', '=', id);
    const found = await (lock && db.dialect.name === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
    if (!found) throw notFound();
    return found;
  }

  /** Moves a request from one of `from` to `to` in a transaction with its audit row; returns the row as it was. */
  async function move(id: string, action: string, from: RemediationStatus[], changes: Partial<FleetRemediationRow>, actor: RemediationActor, audit: string, check?: (r: FleetRemediationRow) => void) {
    return db.transaction(async () => {
      const current = await row(id, true);
      if (!from.includes(current.status)) throw wrongState(action, current.status);
      check?.(current);
      const next = { ...changes, updated_at: iso() };
      await k().updateTable('fleet_remediation_requests').set(next).where('id', '=', id).execute();
      await actor.audit({ action: audit, resource: { type: 'remediation', id }, result: 'success', details: { from: current.status, to: changes.status ?? current.status } });
      return { before: current, after: { ...current, ...next } };
    });
  }

  const appendJournal = (id: string) => async (entry: JournalEntry) => {
    const current = await row(id);
    const entries = [...db.dialect.fromJson<JournalEntry[]>(current.journal), entry];
    await k().updateTable('fleet_remediation_requests').set({ journal: db.dialect.toJson(entries), updated_at: iso() }).where('id', '=', id).execute();
  };

  /** The plan as it is now, refused when it no longer matches what was approved (the rule changed since). */
  async function currentPlan(current: FleetRemediationRow): Promise<RemediationPlan> {
    const plan = await deps.hosts().plan(current.host_id, current.rule_id);
    if (!samePlan(storedPlan(plan), db.dialect.fromJson<StoredPlan>(current.plan))) {
      throw conflict('remediation.plan_changed', 'the remediation plan changed since it was requested; file a new request');
    }
    return plan;
  }

  async function withSession<T>(hostId: string, fn: (session: HostSession) => Promise<T>): Promise<T> {
    const session = await deps.hosts().open(hostId);
    try {
      return await fn(session);
    } finally {
      await session.close().catch(() => undefined);
    }
  }

  return {
    async request(input: { host_id: string; rule_id: string; comment?: string }, actor: RemediationActor): Promise<RemediationView> {
      const host = await k().selectFrom('fleet_hosts').select('id').where('id', '=', input.host_id).where('deleted_at', 'is', null).executeTakeFirst();
      if (!host) throw new RampartError({ code: 'hosts.not_found', status: 404, message: 'host not found' });
      const plan = storedPlan(await deps.hosts().plan(input.host_id, input.rule_id));
      const now = iso();
      const created: FleetRemediationRow = {
        id: randomUUID(), host_id: input.host_id, rule_id: input.rule_id, status: 'pending_approval', requested_by: actor.id,
        request_comment: input.comment ?? null, reviewed_by: null, reviewed_at: null, review_comment: null,
        plan: db.dialect.toJson(plan), journal: db.dialect.toJson([]), failure_reason: null, executed_by: null, executed_at: null,
        rolled_back_by: null, rolled_back_at: null, created_at: now, updated_at: now,
      };
      return db.transaction(async () => {
        await k().insertInto('fleet_remediation_requests').values(created).execute();
        await actor.audit({ action: 'remediation.requested', resource: { type: 'remediation', id: created.id }, result: 'success', details: { host_id: input.host_id, rule_id: input.rule_id } });
        return view(created);
      });
    },

    async review(id: string, decision: 'approve' | 'reject', actor: RemediationActor, comment?: string): Promise<RemediationView> {
      const status = decision === 'approve' ? 'approved' : 'rejected';
      const { after } = await move(id, decision, ['pending_approval'], { status, reviewed_by: actor.id, reviewed_at: iso(), review_comment: comment ?? null }, actor, `remediation.${status}`, (current) => {
        if (current.requested_by === actor.id) throw conflict('remediation.self_approval', 'the requester cannot review their own remediation request');
      });
      return view(after);
    },

    /** What executing would change, step by step, with diffs; the request's state is left alone. */
    async dryRun(id: string) {
      const current = await row(id);
      if (!['pending_approval', 'approved'].includes(current.status)) throw wrongState('dry-run', current.status);
      const plan = await currentPlan(current);
      const steps = await withSession(current.host_id, async (session) => {
        const out = [];
        for (const [index, step] of plan.steps.entries()) out.push({ index, mechanism: step.mechanism, ...(await step.dryRun(session)) });
        return out;
      });
      return { request_id: id, status: current.status, steps };
    },

    async execute(id: string, actor: RemediationActor): Promise<RemediationView> {
      const current = await row(id);
      if (current.status !== 'approved') throw wrongState('execute', current.status);
      const plan = await currentPlan(current);
      await move(id, 'execute', ['approved'], { status: 'executing', executed_by: actor.id }, actor, 'remediation.execution_started');
      let session: HostSession;
      try {
        session = await deps.hosts().open(current.host_id);
      } catch (err) {
        // Nothing ran: the request goes back to approved, to be executed again once the host answers.
        await move(id, 'execute', ['executing'], { status: 'approved', executed_by: null, failure_reason: (err as Error).message }, actor, 'remediation.dispatch_failed');
        throw err;
      }
      try {
        const { outcome, error } = await applySteps(plan.steps, session, appendJournal(id), iso);
        const { after } = await move(id, 'execute', ['executing'], { status: outcome, executed_at: iso(), failure_reason: error }, actor, `remediation.${outcome}`);
        return view(after);
      } finally {
        await session.close().catch(() => undefined);
      }
    },

    async rollback(id: string, actor: RemediationActor): Promise<RemediationView> {
      const current = await row(id);
      if (current.status !== 'executed' && current.status !== 'partially_applied') throw wrongState('roll back', current.status);
      const plan = await currentPlan(current);
      const entries = db.dialect.fromJson<JournalEntry[]>(current.journal);
      await withSession(current.host_id, (session) => rollbackSteps(plan.steps, entries, session, appendJournal(id), iso));
      const { after } = await move(id, 'roll back', ['executed', 'partially_applied'], { status: 'rolled_back', rolled_back_by: actor.id, rolled_back_at: iso() }, actor, 'remediation.rolled_back');
      return view(after);
    },

    get: async (id: string) => view(await row(id)),

    plan: async (id: string): Promise<StoredPlan> => db.dialect.fromJson<StoredPlan>((await row(id)).plan),

    /** The journal without the prior states it keeps for rollback. */
    async steps(id: string) {
      return db.dialect.fromJson<JournalEntry[]>((await row(id)).journal).map(({ prior: _prior, error, ...entry }) => ({ ...entry, error: error ?? null }));
    },

    async list(filter: { host_id?: string; status?: RemediationStatus }, page: { limit: number; cursor?: string }) {
      let query = k().selectFrom('fleet_remediation_requests').selectAll();
      if (filter.host_id) query = query.where('host_id', '=', filter.host_id);
      if (filter.status) query = query.where('status', '=', filter.status);
      if (page.cursor) query = query.where(olderThan('created_at', 'id', decodeCursor(page.cursor)));
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit + 1).execute();
      const { items, next_cursor } = keysetPage(rows, page.limit, (r) => ({ t: r.created_at, id: r.id }));
      return { items: items.map(view), next_cursor };
    },
  };
}

export type RemediationService = ReturnType<typeof createRemediationService>;

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import type { Job } from '../../../core/jobs/job.types.js';
import { accessErrors } from '../common/access-errors.js';
import { DEFAULT_TENANT_ID, type AccessHooks } from '../access.types.js';
import type { AccessPlaybookRunRow } from './audit.tables.js';
import './audit.tables.js';

export const PLAYBOOK_JOB = 'access.playbook.run';

export const STEP_KINDS = ['suspend_user', 'revoke_devices', 'revoke_spcs', 'kill_sessions', 'rotate_signers'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

/** The incident playbooks: what each does, in order, and what it needs as target. */
export const PLAYBOOKS: Record<string, { name: string; description: string; target: 'user' | 'device' | 'none'; steps: StepKind[] }> = {
  contain_user: {
    name: 'Contain a user', target: 'user', steps: ['suspend_user', 'revoke_devices', 'revoke_spcs', 'kill_sessions'],
    description: "Suspends the user (ending their console sessions), revokes every device of theirs, revokes the devices' SPCs and closes their VPN sessions",
  },
  contain_device: {
    name: 'Contain a device', target: 'device', steps: ['revoke_devices', 'revoke_spcs', 'kill_sessions'],
    description: 'Revokes the device, its SPCs and closes its VPN sessions',
  },
  kill_sessions: {
    name: "End a user's sessions", target: 'user', steps: ['revoke_spcs', 'kill_sessions'],
    description: "Revokes the SPCs of the user's devices and closes their VPN sessions; devices must re-issue SPCs to reconnect",
  },
  rotate_signers: {
    name: 'Rotate signers', target: 'none', steps: ['rotate_signers'],
    description: 'Promotes the next signer, retires the active one after the overlap; live bundles are re-signed',
  },
};

export const playbookRunBody = z.object({
  playbook_id: z.enum(Object.keys(PLAYBOOKS) as [string, ...string[]]),
  target: z.object({ user_id: z.string().uuid().optional(), device_id: z.string().uuid().optional() }).strict().default({}),
  reason: z.string().trim().min(1).max(500),
  dry_run: z.boolean().default(false),
}).strict();
export type PlaybookRunInput = z.infer<typeof playbookRunBody>;

const stepView = z.object({
  step: z.enum(STEP_KINDS),
  status: z.enum(['planned', 'pending', 'running', 'done', 'failed', 'skipped']),
  /** What it will touch (dry run, pending) or touched (done): device ids, session ids, kids. */
  affects: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});
type Step = z.infer<typeof stepView>;

export const playbookRunView = z.object({
  id: z.string(),
  playbook_id: z.string(),
  target: z.object({ user_id: z.string().optional(), device_id: z.string().optional() }),
  reason: z.string(),
  dry_run: z.boolean(),
  status: z.enum(['planned', 'queued', 'running', 'succeeded', 'failed']),
  steps: z.array(stepView),
  job_id: z.string().nullable(),
  requested_by: z.string().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
});
export type PlaybookRunView = z.infer<typeof playbookRunView>;

/**
 * Incident playbooks: a dry run resolves what each step would touch and changes nothing (not even a run row);
 * a real run is a row plus a core job that does the steps in order, each written to the run (visible step by step
 * on GET) and to the audit trail as access.playbook.step. A step that fails stops the run; a job retried after a
 * crash resumes at the first step not done.
 */
export function createPlaybookService(core: Core, hooks: AccessHooks) {
  const { db } = core;
  const k = () => db.kysely;

  function view(r: AccessPlaybookRunRow): PlaybookRunView {
    return {
      id: r.id, playbook_id: r.playbook, target: db.dialect.fromJson(r.target), reason: r.reason, dry_run: db.dialect.fromBool(r.dry_run),
      status: r.status, steps: db.dialect.fromJson<Step[]>(r.steps), job_id: r.job_id, requested_by: r.requested_by, created_at: r.created_at, finished_at: r.finished_at,
    };
  }

  /** The target's live devices in the tenant: a user's devices in other tenants are never touched. */
  async function devicesOf(tenant: string, target: PlaybookRunInput['target']): Promise<string[]> {
    if (target.device_id) {
      const d = await hooks.device(target.device_id);
      return d && d.tenant_id === tenant && d.status !== 'revoked' ? [d.id] : [];
    }
    if (target.user_id) return (await hooks.userDevices(target.user_id)).filter((d) => d.tenant_id === tenant).map((d) => d.id);
    return [];
  }

  /** What each step would touch now. */
  async function plan(tenant: string, playbookId: string, target: PlaybookRunInput['target']): Promise<Step[]> {
    const devices = await devicesOf(tenant, target);
    const sessions = await hooks.openSessions(tenant, devices);
    return PLAYBOOKS[playbookId].steps.map((step) => {
      const affects: Record<string, unknown> =
        step === 'suspend_user' ? { user_id: target.user_id }
          : step === 'revoke_devices' || step === 'revoke_spcs' ? { device_ids: devices }
            : step === 'kill_sessions' ? { device_ids: devices, session_ids: sessions }
              : { tenant_id: tenant };
      return { step, status: 'planned', affects, error: null, started_at: null, finished_at: null };
    });
  }

  /**
   * The target must be the caller's tenant's: a device of the tenant; a user of the identity core for the default
   * tenant (whose administrators are the provider's), for another tenant a user with a live device in it. Another
   * tenant's target is not found (404), as any other tenant's row.
   */
  async function checkTarget(tenant: string, input: PlaybookRunInput) {
    const want = PLAYBOOKS[input.playbook_id].target;
    if (want === 'user') {
      if (!input.target.user_id || input.target.device_id) throw accessErrors.invalid(`${input.playbook_id} needs target {user_id}`);
      const userId = input.target.user_id;
      await core.identity.users.get(userId).catch(() => {
        throw accessErrors.notFound(`user ${userId}`);
      });
      if (tenant !== DEFAULT_TENANT_ID && !(await hooks.userDevices(userId)).some((d) => d.tenant_id === tenant)) throw accessErrors.notFound(`user ${userId}`);
    } else if (want === 'device') {
      if (!input.target.device_id || input.target.user_id) throw accessErrors.invalid(`${input.playbook_id} needs target {device_id}`);
      const device = await hooks.device(input.target.device_id);
      if (!device || device.tenant_id !== tenant) throw accessErrors.notFound(`device ${input.target.device_id}`);
    } else if (input.target.user_id || input.target.device_id) {
      throw accessErrors.invalid(`${input.playbook_id} takes no target`);
    }
  }

  async function runStep(tenant: string, step: Step, target: PlaybookRunInput['target'], reason: string): Promise<Record<string, unknown>> {
    const why = `playbook: ${reason}`;
    switch (step.step) {
      case 'suspend_user': {
        const user = await core.identity.users.get(target.user_id!);
        if (user.status === 'active') await core.identity.users.suspend(user.id);
        return { user_id: user.id, was: user.status };
      }
      case 'revoke_devices': {
        const ids = await devicesOf(tenant, target);
        await hooks.revokeDevices(ids, why);
        return { device_ids: ids };
      }
      case 'revoke_spcs': {
        // The devices the run started with: revoked ones by now, whose SPCs may still be live.
        const ids = (step.affects.device_ids as string[] | undefined) ?? [];
        if (ids.length) await hooks.revokeSpcs(ids, why);
        return { device_ids: ids };
      }
      case 'kill_sessions': {
        const ids = (step.affects.device_ids as string[] | undefined) ?? [];
        const sessions = await hooks.openSessions(tenant, ids);
        await hooks.closeSessions(ids, why);
        return { device_ids: ids, session_ids: sessions };
      }
      case 'rotate_signers':
        return hooks.rotateSigners(tenant);
    }
  }

  const saveSteps = (id: string, steps: Step[], extra: Partial<AccessPlaybookRunRow> = {}) =>
    k().updateTable('access_ops_playbook_runs').set({ steps: db.dialect.toJson(steps), updated_at: core.now().toISOString(), ...extra }).where('id', '=', id).execute();

  return {
    list: async (tenant: string, limit: number) =>
      (await k().selectFrom('access_ops_playbook_runs').selectAll().where('tenant_id', '=', tenant).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute()).map(view),

    async get(tenant: string, id: string): Promise<PlaybookRunView> {
      const r = await k().selectFrom('access_ops_playbook_runs').selectAll().where('id', '=', id).where('tenant_id', '=', tenant).executeTakeFirst();
      if (!r) throw accessErrors.notFound(`playbook run ${id}`);
      return view(r);
    },

    /** A dry run answers the plan and stores nothing; a real run stores the run and queues its job. */
    async start(tenant: string, input: PlaybookRunInput, requestedBy: string | null, correlationId: string | null): Promise<PlaybookRunView> {
      await checkTarget(tenant, input);
      const steps = await plan(tenant, input.playbook_id, input.target);
      const now = core.now().toISOString();
      const row: AccessPlaybookRunRow = {
        id: randomUUID(), tenant_id: tenant, playbook: input.playbook_id, target: db.dialect.toJson(input.target), reason: input.reason,
        dry_run: db.dialect.toBool(input.dry_run), status: input.dry_run ? 'planned' : 'queued',
        steps: db.dialect.toJson(input.dry_run ? steps : steps.map((s) => ({ ...s, status: 'pending' }))),
        job_id: null, requested_by: requestedBy, created_at: now, updated_at: now, finished_at: input.dry_run ? now : null,
      };
      if (input.dry_run) return view(row);
      const job = await core.jobs.queue.enqueue(PLAYBOOK_JOB, { run_id: row.id }, { maxAttempts: 3, correlationId });
      await k().insertInto('access_ops_playbook_runs').values({ ...row, job_id: job.id }).execute();
      return view({ ...row, job_id: job.id });
    },

    /** The job: each step not yet done, in order, recorded on the run and in the audit trail. */
    async execute(job: Job<{ run_id: string }>, correlationId: string | null): Promise<void> {
      const r = await k().selectFrom('access_ops_playbook_runs').selectAll().where('id', '=', job.payload.run_id).executeTakeFirst();
      if (!r || r.status === 'succeeded' || r.status === 'failed') return;
      const run = view(r);
      const tenant = r.tenant_id;
      const steps = run.steps;
      await saveSteps(run.id, steps, { status: 'running' });
      for (const step of steps) {
        if (step.status === 'done') continue;
        step.status = 'running';
        step.started_at = core.now().toISOString();
        await saveSteps(run.id, steps);
        const actor = { type: 'system' as const, id: run.requested_by, name: `playbook ${run.playbook_id}` };
        try {
          const affects = await db.transaction(async () => {
            const done = await runStep(tenant, step, run.target, run.reason);
            await core.audit.record({
              actor, action: 'access.playbook.step', resource: { type: 'access_playbook_run', id: run.id }, result: 'success', correlationId,
              details: { playbook_id: run.playbook_id, step: step.step, target: run.target, affects: done, tenant_id: tenant },
            });
            return done;
          });
          Object.assign(step, { status: 'done', affects, finished_at: core.now().toISOString() });
          await saveSteps(run.id, steps);
        } catch (err) {
          const message = (err as Error).message;
          Object.assign(step, { status: 'failed', error: message, finished_at: core.now().toISOString() });
          for (const later of steps) if (later.status === 'pending') later.status = 'skipped';
          const finished = core.now().toISOString();
          await saveSteps(run.id, steps, { status: 'failed', finished_at: finished });
          await core.audit.record({
            actor, action: 'access.playbook.step', resource: { type: 'access_playbook_run', id: run.id }, result: 'failure', correlationId,
            details: { playbook_id: run.playbook_id, step: step.step, error: message, tenant_id: tenant },
          });
          return;
        }
      }
      await saveSteps(run.id, steps, { status: 'succeeded', finished_at: core.now().toISOString() });
    },
  };
}

export type PlaybookService = ReturnType<typeof createPlaybookService>;

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Core } from '../../../core/index.js';
import type { Job } from '../../../core/jobs/job.types.js';
import { DEFAULT_TENANT_ID, type AccessHooks } from '../access.types.js';
import './audit.tables.js';

export const RETENTION_JOB = 'access.retention.prune';
const DAY_MS = 86_400_000;
/** How long each kind of row is kept; the audit trail itself is append-only (the database refuses deletes). */
export const RETENTION = { session_days: 90, siem_delivery_days: 30, playbook_run_days: 365 } as const;
/** The retention job runs at most once a day per tenant. */
const PRUNE_EVERY_MS = DAY_MS;

export const workflowBody = z.object({
  workflow: z.enum(['rotate_signers', 'expire_tokens', 'prune_sessions', 'recompute_usage']),
  params: z.object({
    /** expire_tokens: only tokens created before this time. */
    created_before: z.string().datetime({ offset: true }).optional(),
    /** prune_sessions: closed sessions that closed more than this many days ago (default the retention's 90). */
    older_than_days: z.number().int().min(0).max(3650).optional(),
  }).strict().default({}),
  dry_run: z.boolean().default(false),
}).strict();

export const workflowView = z.object({
  run_id: z.string(),
  workflow: z.string(),
  dry_run: z.boolean(),
  status: z.literal('succeeded'),
  result: z.record(z.string(), z.unknown()),
  finished_at: z.string(),
});

export const retentionView = z.object({
  audit_days: z.null(),
  audit_note: z.string(),
  session_days: z.number(),
  siem_delivery_days: z.number(),
  playbook_run_days: z.number(),
  last_prune_at: z.string().nullable(),
  last_result: z.record(z.string(), z.unknown()).nullable(),
  next_prune_after: z.string().nullable(),
});

/**
 * POST /v1/admin/workflows/run (operational workflows, each with a dry run) and data retention: a job that prunes
 * closed sessions, the SIEM delivery log and finished playbook runs past their retention, queued at most daily by
 * a sweeper on every node (the job is recorded in core/jobs; one in flight per tenant).
 */
export function createWorkflows(core: Core, hooks: AccessHooks) {
  const { db } = core;
  const k = () => db.kysely;
  const ago = (days: number) => new Date(core.now().getTime() - days * DAY_MS).toISOString();

  async function prune(tenant: string, dryRun: boolean) {
    const sessions = await hooks.pruneSessions(tenant, ago(RETENTION.session_days), dryRun);
    const countOrDelete = async (table: 'access_siem_deliveries' | 'access_ops_playbook_runs', column: 'created_at' | 'finished_at', days: number) => {
      if (dryRun) return Number((await k().selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenant).where(column, '<', ago(days)).executeTakeFirstOrThrow()).n);
      return Number((await k().deleteFrom(table).where('tenant_id', '=', tenant).where(column, '<', ago(days)).executeTakeFirst()).numDeletedRows);
    };
    return {
      sessions,
      siem_deliveries: await countOrDelete('access_siem_deliveries', 'created_at', RETENTION.siem_delivery_days),
      playbook_runs: await countOrDelete('access_ops_playbook_runs', 'finished_at', RETENTION.playbook_run_days),
    };
  }

  const state = (tenant: string) => k().selectFrom('access_ops_retention').selectAll().where('tenant_id', '=', tenant).executeTakeFirst();

  return {
    async run(tenant: string, input: z.infer<typeof workflowBody>) {
      let result: Record<string, unknown>;
      switch (input.workflow) {
        case 'rotate_signers': {
          const anchors = ((await hooks.trustAnchors(tenant)).anchors ?? []) as { kid: string; state: string }[];
          const current = { active: anchors.find((a) => a.state === 'active')?.kid ?? null, next: anchors.find((a) => a.state === 'next')?.kid ?? null };
          result = input.dry_run ? { would_activate: current.next, would_retire: current.active } : { ...(await hooks.rotateSigners(tenant)) };
          break;
        }
        case 'expire_tokens': {
          const ids = await hooks.expireTokens(tenant, input.params.created_before ?? null, input.dry_run);
          result = { token_ids: ids, count: ids.length };
          break;
        }
        case 'prune_sessions': {
          const days = input.params.older_than_days ?? RETENTION.session_days;
          result = { older_than_days: days, sessions: await hooks.pruneSessions(tenant, ago(days), input.dry_run) };
          break;
        }
        case 'recompute_usage':
          result = await hooks.recomputeUsage(tenant, input.dry_run);
          break;
      }
      return { run_id: randomUUID(), workflow: input.workflow, dry_run: input.dry_run, status: 'succeeded' as const, result, finished_at: core.now().toISOString() };
    },

    async retention(tenant: string) {
      const s = await state(tenant);
      return {
        audit_days: null,
        audit_note: 'the audit trail is append-only (the database refuses updates and deletes): exported and forwarded, never pruned here',
        ...RETENTION,
        last_prune_at: s?.last_prune_at ?? null,
        last_result: s?.last_result ? db.dialect.fromJson<Record<string, unknown>>(s.last_result) : null,
        next_prune_after: s?.last_prune_at ? new Date(Date.parse(s.last_prune_at) + PRUNE_EVERY_MS).toISOString() : null,
      };
    },

    /** The job: prune, then write down when and what. */
    async pruneJob(job: Job<{ tenant_id?: string }>): Promise<void> {
      const tenant = job.payload.tenant_id ?? DEFAULT_TENANT_ID;
      const result = await db.transaction(async () => {
        const removed = await prune(tenant, false);
        await core.audit.record({ actor: { type: 'system', id: null, name: 'retention' }, action: 'access.retention.prune', resource: { type: 'access_retention', id: tenant }, result: 'success', details: { ...removed, tenant_id: tenant } });
        return removed;
      });
      const now = core.now().toISOString();
      await k().updateTable('access_ops_retention').set({ last_prune_at: now, last_result: db.dialect.toJson(result), job_id: null, updated_at: now }).where('tenant_id', '=', tenant).execute();
    },

    /** Queues each tenant's retention job when a day has passed since its last prune and none is in flight. */
    async sweep(): Promise<void> {
      for (const tenant of await hooks.tenantIds()) await sweepTenant(tenant);
    },
  };

  async function sweepTenant(tenant: string): Promise<void> {
    const s = await state(tenant);
    if (s?.last_prune_at && core.now().getTime() - Date.parse(s.last_prune_at) < PRUNE_EVERY_MS) return;
    if (s?.job_id) {
      const job = await core.jobs.store.get(s.job_id);
      if (job && (job.status === 'queued' || job.status === 'running')) return;
    }
    await db.transaction(async () => {
      const job = await core.jobs.queue.enqueue(RETENTION_JOB, { tenant_id: tenant }, { maxAttempts: 3 });
      const now = core.now().toISOString();
      if (!s) {
        await k().insertInto('access_ops_retention').values({ tenant_id: tenant, last_prune_at: null, last_result: null, job_id: job.id, updated_at: now })
          .onConflict((oc) => oc.column('tenant_id').doNothing()).execute();
      } else {
        let q = k().updateTable('access_ops_retention').set({ job_id: job.id, updated_at: now }).where('tenant_id', '=', tenant);
        q = s.job_id ? q.where('job_id', '=', s.job_id) : q.where('job_id', 'is', null);
        await q.execute();
      }
    });
  }
}

import type { Core } from '../../../core/index.js';
import { startIntervalSweeper } from '../../../core/jobs/interval-sweeper.js';
import type { Job, JobHandler } from '../../../core/jobs/job.types.js';
import type { AccessHooks } from '../access.types.js';
import { createAuditPipeline } from './audit-pipeline.service.js';
import { createPlaybookService, PLAYBOOK_JOB } from './playbook.service.js';
import { createSiemService, SIEM_FORWARD_JOB } from './siem.service.js';
import { createOpsService } from './ops.service.js';
import { createWorkflows, RETENTION_JOB } from './workflows.service.js';

/** How often each node looks for events waiting past the SIEM connector's cursor. */
export const SIEM_SWEEP_MS = 2_000;
/** How often each node checks whether the daily retention job is due. */
export const RETENTION_SWEEP_MS = 60_000;

/**
 * The audit part (audit pipeline, SIEM connector, incident playbooks), built once per core. It reaches the other
 * parts only through AccessHooks; its job handlers reach every worker process through the module's jobs().
 */
export function createAuditPart(core: Core, hooks: AccessHooks) {
  const siem = createSiemService(core);
  const pipeline = createAuditPipeline(core, (tenantId, ids) => siem.ingested(tenantId, ids));
  const playbooks = createPlaybookService(core, hooks);
  const ops = createOpsService(core, hooks, siem);
  const workflows = createWorkflows(core, hooks);
  return {
    pipeline,
    siem,
    playbooks,
    ops,
    workflows,
    /** The part's job handlers by type (the module's jobs(), which every worker process registers). */
    jobs: (): Record<string, JobHandler<any>> => ({
      [SIEM_FORWARD_JOB]: (job) => siem.forward(job as Job<{ tenant_id?: string }>),
      [PLAYBOOK_JOB]: (job, ctx) => playbooks.execute(job as Job<{ run_id: string }>, ctx.correlationId),
      [RETENTION_JOB]: (job) => workflows.pruneJob(job as Job<{ tenant_id?: string }>),
    }),
    /** The background work of this part on this node. */
    start: () => {
      const sweepers = [
        startIntervalSweeper(core, 'access.siem', () => siem.sweep(), SIEM_SWEEP_MS),
        startIntervalSweeper(core, 'access.retention', () => workflows.sweep(), RETENTION_SWEEP_MS),
      ];
      return { stop: async () => void (await Promise.all(sweepers.map((s) => s.stop()))) };
    },
  };
}

export type AuditPart = ReturnType<typeof createAuditPart>;

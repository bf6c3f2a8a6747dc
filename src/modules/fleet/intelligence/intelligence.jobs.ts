import type { JobHandler } from '../../../core/jobs/job.types.js';
import type { FleetServices } from '../fleet.services.js';

/** The type the discovery sweep (POST system/discovery/sweep) enqueues. */
export const DISCOVERY_JOB = 'fleet.discovery';
export const INTELLIGENCE_JOB = 'fleet.intelligence';

interface HostJob {
  host_id: string;
}

/** Background discovery and intelligence per host, for the sweep and the schedulers to enqueue. */
export function intelligenceJobs(fleet: FleetServices): Record<string, JobHandler<HostJob>> {
  return {
    [DISCOVERY_JOB]: async (job, ctx) => {
      await fleet.discovery.run(job.payload.host_id, { actor: { type: 'system', id: null, name: 'the system' }, correlationId: ctx.correlationId, signal: ctx.signal });
    },
    [INTELLIGENCE_JOB]: async (job, ctx) => {
      await fleet.intelligence.collect(job.payload.host_id, { correlationId: ctx.correlationId, signal: ctx.signal });
    },
  };
}

import type { RouteContext } from '../../../http/route.js';
import type { PolicyRecord } from '../policy/policy.types.js';

/** Names the record in the write's audit row; runs inside the write transaction, so the row commits with it. */
export const auditWith = (ctx: RouteContext<any>, action: string) => async (saved: PolicyRecord, generation: number) => {
  await ctx.recordAudit({
    action,
    resource: { type: 'egress_policy', id: saved.id },
    result: 'success',
    details: { name: saved.name, mode: saved.mode, generation },
  });
};

/**
 * Runs a write, recording a failure row when it fails. These routes write their audit rows themselves instead of
 * declaring `audit`: a declared action runs the handler inside one transaction, and the write must commit before
 * it waits for the data plane to apply the generation it made (the runtime reads the committed row).
 */
export async function audited<T>(ctx: RouteContext<any>, action: string, id: string | null, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const failure = { action, resource: { type: 'egress_policy', id }, result: 'failure' as const, details: { error: (err as Error).message } };
    await ctx.recordAudit(failure);
    throw err;
  }
}


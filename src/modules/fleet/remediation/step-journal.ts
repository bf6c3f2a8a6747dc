import type { RemediationStep } from '../compliance/remediation/step.js';
import type { HostSession } from '../ssh/ssh.types.js';
import type { JournalEntry } from './remediation.types.js';

export type Outcome = 'executed' | 'failed' | 'partially_applied';

/**
 * Applies the steps in order, journaling each one as it finishes (so a crash leaves a record of what changed), and
 * stops at the first failure. The outcome: every step applied, none, or some.
 */
export async function applySteps(
  steps: RemediationStep[],
  session: HostSession,
  journal: (entry: JournalEntry) => Promise<void>,
  now: () => string,
): Promise<{ outcome: Outcome; error: string | null }> {
  let applied = 0;
  for (const [index, step] of steps.entries()) {
    const base = { index, mechanism: step.mechanism, description: step.description };
    try {
      const prior = await step.apply(session);
      await journal({ ...base, status: 'applied', at: now(), prior });
      applied++;
    } catch (err) {
      const error = (err as Error).message;
      await journal({ ...base, status: 'failed', at: now(), error });
      return { outcome: applied === 0 ? 'failed' : 'partially_applied', error };
    }
  }
  return { outcome: 'executed', error: null };
}

/**
 * Undoes the applied steps, newest first, from the prior state their journal entries hold. Only steps that ran are
 * rolled back. Throws the first rollback failure after journaling it; the steps before it stay rolled back.
 */
export async function rollbackSteps(
  steps: RemediationStep[],
  entries: JournalEntry[],
  session: HostSession,
  journal: (entry: JournalEntry) => Promise<void>,
  now: () => string,
): Promise<void> {
  const applied = entries.filter((e) => e.status === 'applied' && !entries.some((later) => later.index === e.index && later.status === 'rolled_back'));
  for (const entry of [...applied].reverse()) {
    const step = steps[entry.index];
    const base = { index: entry.index, mechanism: entry.mechanism, description: entry.description };
    try {
      await step.rollback(session, entry.prior ?? {});
      await journal({ ...base, status: 'rolled_back', at: now() });
    } catch (err) {
      await journal({ ...base, status: 'rollback_failed', at: now(), error: (err as Error).message });
      throw err;
    }
  }
}

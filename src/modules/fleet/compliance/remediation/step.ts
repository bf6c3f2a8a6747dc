import type { z } from 'zod';
import type { HostSession } from '../../ssh/ssh.types.js';
import type { HostFacts } from '../rule.types.js';

/** What a step found before changing anything, kept (as JSON) so it can be put back later. */
export type PriorState = Record<string, unknown>;

export interface DryRunResult {
  description: string;
  /** A unified diff when the step changes a file; null otherwise. */
  diff: string | null;
}

/**
 * One change on a host. Apply returns the prior state it captured; rollback takes that state (possibly read back from
 * a journal by another process) and restores it. Both throw RemediationError when a command fails.
 */
export interface RemediationStep {
  mechanism: string;
  description: string;
  dryRun(session: HostSession): Promise<DryRunResult>;
  apply(session: HostSession): Promise<PriorState>;
  rollback(session: HostSession, prior: PriorState): Promise<void>;
}

export interface MechanismContext {
  facts: HostFacts;
  capabilities: ReadonlySet<string>;
}

/** A remediation mechanism: its fields (validated by the loader) and the steps it takes for given fields. */
export interface Mechanism<F = any> {
  fields: z.ZodType<F>;
  steps(fields: F, context: MechanismContext): RemediationStep[];
}

export class RemediationError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'RemediationError';
  }
}

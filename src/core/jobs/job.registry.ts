import type { JobHandler } from './job.types.js';

/**
 * Job types and their handlers. Separate from the worker so modules can register their handlers whether or not
 * this process runs a worker (`rampart serve --no-worker` still enqueues; `rampart worker` runs them).
 */
export function createJobRegistry() {
  const handlers = new Map<string, JobHandler>();
  return {
    register<P>(type: string, handler: JobHandler<P>): void {
      if (!type) throw new Error('job type must not be empty');
      if (handlers.has(type)) throw new Error(`a handler for job type "${type}" is already registered`);
      handlers.set(type, handler as JobHandler);
    },
    get(type: string): JobHandler | undefined {
      return handlers.get(type);
    },
    types(): string[] {
      return [...handlers.keys()];
    },
  };
}

export type JobRegistry = ReturnType<typeof createJobRegistry>;

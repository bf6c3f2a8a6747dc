import type { Core } from '../core/index.js';
import type { Migration } from '../core/db/migrator.js';
import type { SealedColumn } from '../core/secrets/sealed-columns.js';
import type { PermissionDefinition } from '../core/rbac/rbac.types.js';
import type { JobHandler } from '../core/jobs/job.types.js';
import type { HttpModule } from '../http/route.js';

/** A feature module: its tables and its HTTP surface, built from the core. */
export interface RampartModule {
  name: string;
  migrations?: Migration[];
  /** Columns holding secret-box ciphertexts, re-encrypted by `rampart secrets rotate`. */
  sealedColumns?: SealedColumn[];
  /** Permissions the module's routes require, added to the registry that built-in roles are defined over. */
  permissions?: PermissionDefinition[];
  /** Handlers of the module's background jobs, by job type; every worker process registers them. */
  jobs?(core: Core): Record<string, JobHandler<any>>;
  http?(core: Core): HttpModule;
  /**
   * Long-running work the module does beside serving (a data plane, a DNS proxy), started with the background
   * work of `serve` and stopped before the core closes. Tests that only inject requests never start it.
   */
  start?(core: Core): Promise<{ stop(): Promise<void> }>;
}

import { prepareDatabase } from '../../core/index.js';
import type { RampartConfig } from '../../core/config/schema.js';
import { builtinModules } from '../../modules/index.js';
import { createCoreFor } from '../../server.js';
import type { Logger } from '../../core/logger.js';
import { NewerDatabaseError } from '../../core/db/migrator.js';
import { fail } from '../fail.js';

/** `rampart migrate`: applies pending migrations, or with --status only lists them. */
export async function migrateCommand(config: RampartConfig, logger: Logger, opts: { status?: boolean }): Promise<void> {
  const core = createCoreFor(config, builtinModules(), { logger });
  try {
    if (opts.status) {
      const status = await core.migrator.status();
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      if (status.unknown.length) process.exitCode = 1;
      return;
    }
    const { applied } = await prepareDatabase(core);
    process.stdout.write(applied.length ? `applied ${applied.length} migrations:\n  ${applied.join('\n  ')}\n` : 'database is up to date\n');
  } catch (err) {
    if (err instanceof NewerDatabaseError) fail(err.message);
    throw err;
  } finally {
    await core.close();
  }
}

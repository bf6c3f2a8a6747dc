import type { RampartConfig } from '../../core/config/schema.js';
import { createCoreWorker, prepareDatabase } from '../../core/index.js';
import { NewerDatabaseError } from '../../core/db/migrator.js';
import type { Logger } from '../../core/logger.js';
import { builtinModules } from '../../modules/index.js';
import { createCoreFor } from '../../server.js';
import { fail } from '../fail.js';

/** `rampart worker`: only the job worker, for nodes that serve no HTTP. Stops gracefully on SIGTERM/SIGINT. */
export async function workerCommand(config: RampartConfig, logger: Logger): Promise<void> {
  const core = createCoreFor(config, builtinModules(), { logger });
  try {
    await prepareDatabase(core);
  } catch (err) {
    await core.close();
    if (err instanceof NewerDatabaseError) fail(err.message);
    throw err;
  }
  const worker = createCoreWorker(core);
  worker.start();
  logger.info({ worker: worker.workerId, concurrency: config.jobs.concurrency }, 'Rampart worker is running');
  const stop = async (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'worker stopping: no new jobs, finishing running ones');
    await worker.stop(config.server.shutdown_timeout_ms);
    await core.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

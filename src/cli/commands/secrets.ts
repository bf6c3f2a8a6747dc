import { prepareDatabase } from '../../core/index.js';
import type { RampartConfig } from '../../core/config/schema.js';
import type { Logger } from '../../core/logger.js';
import { keyFilePath } from '../../core/secrets/keyring.js';
import { rotateSecretKey } from '../../core/secrets/rotate.js';
import { builtinModules } from '../../modules/index.js';
import { createCoreFor } from '../../server.js';

/** `rampart secrets rotate`: a new secret-box key, every sealed value re-encrypted under it, old keys retired. */
export async function rotateSecretsCommand(config: RampartConfig, logger: Logger): Promise<void> {
  const core = createCoreFor(config, builtinModules(), { logger });
  try {
    await prepareDatabase(core);
    const registry = core.sealedColumns;
    const summary = config.secrets.key
      ? await rotateSecretKey({
          db: core.db,
          registry,
          logger,
          configKeys: config.secrets.key,
          onNewKey: (key) =>
            process.stderr.write(`new key: ${key}\nif this run is interrupted, rerun with secrets.key="${key},<old key>"\n`),
        })
      : await rotateSecretKey({ db: core.db, registry, logger, keyFilePath: keyFilePath(config) });
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    if (summary.new_key) {
      process.stderr.write('set secrets.key (or RAMPART_SECRETS_KEY) to new_key alone, then restart every Rampart node\n');
    }
  } finally {
    await core.close();
  }
}

import { prepareDatabase } from '../../core/index.js';
import type { RampartConfig } from '../../core/config/schema.js';
import { isRampartError } from '../../core/errors.js';
import type { Keyset } from '../../core/identity/identity.types.js';
import type { Logger } from '../../core/logger.js';
import { builtinModules } from '../../modules/index.js';
import { createCoreFor } from '../../server.js';
import { fail } from '../fail.js';

export type AuthKeyAction = { action: 'rotate' } | { action: 'list' } | { action: 'retire'; kid: string };

/**
 * `rampart auth key rotate|list|retire <kid>`: the keys that sign Rampart's JWTs, printed as JSON. Running nodes
 * on PostgreSQL hear of the change at once (IDENTITY_CHANGED); on SQLite they notice within 30 seconds.
 */
export async function authKeyCommand(config: RampartConfig, logger: Logger, what: AuthKeyAction): Promise<void> {
  const core = createCoreFor(config, builtinModules(), { logger });
  try {
    await prepareDatabase(core);
    const output = await run(core.identity.keyset, what);
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  } catch (err) {
    if (isRampartError(err) && err.status < 500) fail(err.message);
    throw err;
  } finally {
    await core.close();
  }
}

function run(keyset: Keyset, what: AuthKeyAction) {
  switch (what.action) {
    case 'rotate':
      return keyset.rotate();
    case 'list':
      return keyset.list();
    case 'retire':
      return keyset.retire(what.kid);
  }
}

import { prepareDatabase } from '../../core/index.js';
import type { RampartConfig } from '../../core/config/schema.js';
import { NewerDatabaseError } from '../../core/db/migrator.js';
import { isRampartError } from '../../core/errors.js';
import { randomPassword } from '../../core/identity/users/bootstrap.js';
import type { Logger } from '../../core/logger.js';
import { builtinModules } from '../../modules/index.js';
import { createCoreFor } from '../../server.js';
import { fail } from '../fail.js';

export interface CreateAdminOptions {
  username: string;
  email: string;
  passwordStdin?: boolean;
}

/**
 * `rampart create-admin`: creates a user with the admin role, for a first start without bootstrap_admin or to
 * regain access. The password comes from stdin (one trailing newline dropped) or is generated and printed once.
 */
export async function createAdminCommand(config: RampartConfig, logger: Logger, opts: CreateAdminOptions): Promise<void> {
  const given = opts.passwordStdin ? (await readStdin()).replace(/\r?\n$/, '') : undefined;
  const core = createCoreFor(config, builtinModules(), { logger });
  try {
    await prepareDatabase(core);
    const { password_min_length } = await core.identity.settings.get();
    const password = given ?? randomPassword(Math.max(24, password_min_length));
    const user = await core.identity.users.create({ username: opts.username, email: opts.email, password, roles: ['admin'] });
    process.stdout.write(`created administrator ${user.username} (${user.id})\n`);
    if (given === undefined) process.stdout.write(`password: ${password}\nChange it after the first login.\n`);
  } catch (err) {
    if (err instanceof NewerDatabaseError) fail(err.message);
    if (isRampartError(err) && err.status < 500) fail(`cannot create ${opts.username}: ${err.message}`);
    throw err;
  } finally {
    await core.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

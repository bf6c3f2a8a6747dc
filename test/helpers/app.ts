import pino, { type Logger } from 'pino';
import { loadConfig } from '../../src/core/config/load.js';
import type { RampartConfig } from '../../src/core/config/schema.js';
import { createRampart, type Rampart } from '../../src/server.js';
import type { RampartModule } from '../../src/modules/module.js';
import { prepareDatabase } from '../../src/core/index.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface TestRampart extends Rampart {
  tdb: TestDatabase;
  config: RampartConfig;
  /** Closes the instance and drops its database. */
  cleanup(): Promise<void>;
}

export interface TestRampartOptions {
  modules?: RampartModule[];
  now?: () => Date;
  /** Reuse another instance's database (a second node). */
  tdb?: TestDatabase;
  overrides?: Record<string, unknown>;
  /** Defaults to a silent logger. */
  logger?: Logger;
  /** Where the built console is (ui/dist by default). */
  consoleDir?: string;
}

/** A migrated Rampart on a fresh database, driven with app.inject (no sockets). */
export async function createTestRampart(opts: TestRampartOptions = {}): Promise<TestRampart> {
  const tdb = opts.tdb ?? (await createTestDatabase());
  const config = loadConfig({
    env: {},
    cwd: tdb.dataDir,
    // A loaded CI machine can keep a password hash waiting past the 1 s overload rule; only
    // test/api/password-overload.test.ts is about that rule, and it sets its own bound.
    overrides: { data_dir: tdb.dataDir, 'database.url': tdb.url, 'log.level': 'silent', 'auth.argon2_max_wait_ms': 60_000, ...opts.overrides },
  });
  const rampart = await createRampart(config, { logger: opts.logger ?? pino({ level: 'silent' }), extraModules: opts.modules, now: opts.now, consoleDir: opts.consoleDir });
  await prepareDatabase(rampart.core);
  return {
    ...rampart,
    tdb,
    config,
    async cleanup() {
      await rampart.close();
      if (!opts.tdb) await tdb.cleanup();
    },
  };
}

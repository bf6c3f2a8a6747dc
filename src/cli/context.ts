import { mkdirSync } from 'node:fs';
import { ConfigError, loadConfig } from '../core/config/load.js';
import type { RampartConfig } from '../core/config/schema.js';
import { createLogger, type Logger } from '../core/logger.js';
import { fail } from './fail.js';

export interface CliContext {
  config: RampartConfig;
  logger: Logger;
}

/** Loads the configuration (file, env, flags) or exits 1 naming the offending key. */
export function loadCliConfig(flags: { config?: string; dataDir?: string }, overrides: Record<string, unknown> = {}): RampartConfig {
  try {
    return loadConfig({ file: flags.config, overrides: { data_dir: flags.dataDir, ...overrides } });
  } catch (err) {
    if (err instanceof ConfigError) fail(`invalid configuration: ${err.message}`);
    throw err;
  }
}

/** Long-running commands (serve, worker) log to stdout; the others to stderr, keeping stdout for their output. */
export function cliContext(
  flags: { config?: string; dataDir?: string },
  overrides: Record<string, unknown> = {},
  logTo: 'stdout' | 'stderr' = 'stderr',
): CliContext {
  const config = loadCliConfig(flags, overrides);
  mkdirSync(config.data_dir, { recursive: true, mode: 0o700 });
  return { config, logger: createLogger(config, logTo === 'stdout' ? 1 : 2) };
}

import { stringify } from 'smol-toml';
import { redactConfig } from '../../core/config/load.js';
import type { RampartConfig } from '../../core/config/schema.js';

/** `rampart check-config`: the effective configuration (file, env, flags) as TOML, secrets redacted. */
export function checkConfigCommand(config: RampartConfig): void {
  process.stdout.write(`# effective configuration: valid\n${stringify(redactConfig(config))}\n`);
}

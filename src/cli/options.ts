import type { Command } from 'commander';

/** Flags every command that reads the configuration accepts. */
export function withConfigOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'configuration file (TOML); default ./rampart.toml when present')
    .option('-d, --data-dir <dir>', 'data directory (env RAMPART_DATA_DIR); default ./data');
}

import type { Command } from 'commander';
import { versionInfo } from '../version.js';
import { registerAgentDeviceCommands } from './commands/agent-device.js';
import { registerAgentGatewayCommands } from './commands/agent-gateway.js';
import { registerAgentOverlayCommands } from './commands/agent-overlay.js';
import type { AuthKeyAction } from './commands/auth-keys.js';
import type { CliContext } from './context.js';
import { fail } from './fail.js';
import { withConfigOptions } from './options.js';

type ConfigFlags = { config?: string; dataDir?: string };

/**
 * The configuration and the logger, imported by the commands that use them: `rampart version` and the device agents
 * start without the configuration schema (zod), the TOML parser or pino.
 */
async function cliContext(flags: ConfigFlags, overrides?: Record<string, unknown>, logTo?: 'stdout' | 'stderr'): Promise<CliContext> {
  return (await import('./context.js')).cliContext(flags, overrides, logTo);
}

/**
 * The program and its commands. Each command's module is imported when it runs, so `rampart agent ...` on a device
 * starts without loading the server (its modules, database drivers and HTTP stack).
 */
async function buildCli(): Promise<Command> {
  const { Command } = await import('commander');
  const program = new Command('rampart')
    .description('Rampart: a self-hosted control plane for network security')
    .version(versionInfo.rampart, '-V, --version')
    .showHelpAfterError();

  withConfigOptions(program.command('serve'))
    .description('serve the APIs over HTTPS, the metrics listener, and (unless --no-worker) the job worker')
    .option('-l, --listen <host:port>', 'HTTPS listen address (server.listen); default 0.0.0.0:8443')
    .option('-m, --metrics-listen <host:port>', 'metrics listen address (server.metrics_listen); default 127.0.0.1:9464')
    .option('--insecure-http', 'serve plain HTTP, for running behind a TLS-terminating proxy (list it in server.trusted_proxies)')
    .option('--no-worker', 'do not run the job worker in this process (jobs.worker = false)')
    .action(async (flags: ConfigFlags & { listen?: string; metricsListen?: string; insecureHttp?: boolean; worker: boolean }) => {
      const { config, logger } = await cliContext(flags, {
        'server.listen': flags.listen,
        'server.metrics_listen': flags.metricsListen,
        'server.insecure_http': flags.insecureHttp || undefined,
        'jobs.worker': flags.worker === false ? false : undefined,
      }, 'stdout');
      await (await import('./commands/serve.js')).serveCommand(config, logger);
    });

  withConfigOptions(program.command('worker'))
    .description('run only the job worker (rampart serve runs one too, unless --no-worker)')
    .action(async (flags: ConfigFlags) => {
      const { config, logger } = await cliContext(flags, {}, 'stdout');
      await (await import('./commands/worker.js')).workerCommand(config, logger);
    });

  withConfigOptions(program.command('migrate'))
    .description('apply pending database migrations (they are also applied on start)')
    .option('--status', 'list applied, pending and unknown migrations without changing anything')
    .action(async (flags: ConfigFlags & { status?: boolean }) => {
      const { config, logger } = await cliContext(flags);
      await (await import('./commands/migrate.js')).migrateCommand(config, logger, flags);
    });

  withConfigOptions(program.command('create-admin'))
    .description('create a user with the admin role; the password is read from stdin or generated and printed once')
    .requiredOption('--username <name>', 'username of the new administrator')
    .requiredOption('--email <address>', 'email address of the new administrator')
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .action(async (flags: ConfigFlags & { username: string; email: string; passwordStdin?: boolean }) => {
      const { config, logger } = await cliContext(flags);
      await (await import('./commands/create-admin.js')).createAdminCommand(config, logger, flags);
    });

  withConfigOptions(program.command('check-config'))
    .description('validate the configuration and print it with secrets redacted; exits 1 naming a bad key')
    .action(async (flags: ConfigFlags) => {
      const config = (await import('./context.js')).loadCliConfig(flags);
      (await import('./commands/check-config.js')).checkConfigCommand(config);
    });

  const secrets = program.command('secrets').description('manage the key that encrypts secrets at rest');
  withConfigOptions(secrets.command('rotate'))
    .description('generate a new key, re-encrypt every stored secret under it, and retire the old key')
    .action(async (flags: ConfigFlags) => {
      const { config, logger } = await cliContext(flags);
      await (await import('./commands/secrets.js')).rotateSecretsCommand(config, logger);
    });

  const authKey = program.command('auth').description('identity administration').command('key').description('the keys that sign access tokens');
  const keyCommand = async (flags: ConfigFlags, what: AuthKeyAction) => {
    const { config, logger } = await cliContext(flags);
    await (await import('./commands/auth-keys.js')).authKeyCommand(config, logger, what);
  };
  withConfigOptions(authKey.command('rotate'))
    .description('make a new signing key active; the previous one keeps verifying until retired')
    .action((flags: ConfigFlags) => keyCommand(flags, { action: 'rotate' }));
  withConfigOptions(authKey.command('list'))
    .description('list the signing keys and their status as JSON')
    .action((flags: ConfigFlags) => keyCommand(flags, { action: 'list' }));
  withConfigOptions(authKey.command('retire').argument('<kid>', 'the key to retire'))
    .description('retire a key that is no longer active: tokens it signed stop verifying')
    .action((kid: string, flags: ConfigFlags) => keyCommand(flags, { action: 'retire', kid }));

  const fleet = program.command('fleet').description('managed hosts: scans and compliance rules');
  withConfigOptions(fleet.command('scan').argument('<host>', 'hostname or id of the host'))
    .description('queue a compliance scan of a host and print it; --wait runs it here and prints the outcome')
    .option('--wait', 'run the scan in this process and print its outcome and failing rules')
    .option('--framework <id>', 'only the rules mapped to this framework (cis, stig, nist_800_53, cis_ubuntu2204 ...)')
    .option('--timeout <seconds>', 'with --wait, give up after this long (default 600)')
    .action(async (host: string, flags: ConfigFlags & { wait?: boolean; framework?: string; timeout?: string }) => {
      const { config, logger } = await cliContext(flags, {}, 'stderr');
      await (await import('./commands/fleet-scan.js')).fleetScanCommand(config, logger, host, flags);
    });

  registerAgentOverlayCommands(program);
  registerAgentGatewayCommands(program);
  registerAgentDeviceCommands(program);

  const fleetRules = fleet.command('rules').description('compliance rules in Kensa\'s YAML format');
  fleetRules
    .command('lint')
    .argument('<dir>', 'a directory of rule files (*.yml, searched recursively; variables.yml holds site variable defaults)')
    .description('validate every rule file; prints file:rule:field: message per problem and exits 1 on any')
    .action(async (dir: string) => (await import('./commands/fleet-rules-lint.js')).fleetRulesLintCommand(dir));

  const license = program.command('license').description('the access licence file (Ed25519-signed JSON)');
  withConfigOptions(license.command('inspect').argument('<file>', 'a licence file'))
    .description('verify a licence file and print what it grants and its state (valid, grace, expired) as JSON; exit 1 unless valid or in grace')
    .option('--public-key <key>', 'verify with this key (raw Ed25519 base64url, or PEM) instead of access.license_public_key or the built-in one')
    .action(async (file: string, flags: ConfigFlags & { publicKey?: string }) => {
      const { loadCliConfig } = await import('./context.js');
      const configured = loadCliConfig(flags).access.license_public_key;
      (await import('./commands/license-inspect.js')).licenseInspectCommand(file, configured, flags);
    });

  program
    .command('version')
    .description('print version, Node.js version, commit and build time as JSON')
    .action(printVersion);

  return program;
}

function printVersion(): void {
  process.stdout.write(`${JSON.stringify(versionInfo, null, 2)}\n`);
}

export async function main(argv: string[]): Promise<void> {
  // Scripts and health checks run `rampart version` most: it answers before the parser loads (half its start-up).
  if (argv.length === 3 && argv[2] === 'version') return printVersion();
  try {
    await (await buildCli()).parseAsync(argv);
  } catch (err) {
    // A configuration problem found late (an unreadable key file, a bad certificate path) is the operator's to fix.
    if (err instanceof (await import('../core/config/load.js')).ConfigError) fail(`invalid configuration: ${err.message}`);
    throw err;
  }
}

/**
 * Evaluates the server's modules without starting anything: the build runs this so that the code cache it writes for
 * dist/server.cjs holds their code, which every `serve` runs (bin/code-cache.js).
 */
export async function loadServer(): Promise<void> {
  await import('./commands/serve.js');
}

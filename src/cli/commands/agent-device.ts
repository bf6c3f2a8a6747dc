/** `rampart agent device enroll|run`: a device of the access module. The work is in src/agent/access/. */
import type { Command } from 'commander';
import { enrollDevice, runDeviceAgent } from '../../agent/access/device-agent.js';
import { DEFAULT_REDIRECT_URI, OidcLoginError } from '../../agent/access/oidc-login.js';
import { DEFAULT_STATE_DIRS, resolveStateDir } from '../../agent/access/state.js';
import { checkForUpdate, UpdateRefused } from '../../agent/access/update.js';
import { stderrLog } from '../../agent/overlay/log.js';
import { fail } from '../fail.js';
import { agentCommand, operatorErrors, seconds, serverUrl, interfaceName, stopSignal } from './agent-access-shared.js';

const STATE_DIR_HELP = `state directory (env RAMPART_AGENT_STATE_DIR); default ${DEFAULT_STATE_DIRS.device}`;

interface EnrollFlags {
  server: string;
  token?: string;
  oidcProvider?: string;
  redirectUri: string;
  name?: string;
  stateDir?: string;
  caFile?: string;
  insecure?: boolean;
}

interface RunFlags {
  stateDir?: string;
  interface: string;
  postureInterval: string;
  telemetryInterval: string;
  policyInterval: string;
  postureFile?: string;
  wireguardGo?: string;
  updateInterval: string;
  updateChannel: string;
}

async function enrollAction(flags: EnrollFlags): Promise<void> {
  if (!flags.oidcProvider === !flags.token) fail('give either --token or --oidc-provider');
  const say = (line: string) => void process.stdout.write(`${line}\n`);
  const oidc = flags.oidcProvider ? { provider_id: flags.oidcProvider, redirect_uri: flags.redirectUri, say } : undefined;
  const server = serverUrl(flags.server);
  const stateDir = resolveStateDir('device', flags.stateDir);
  await operatorErrors(async () => {
    try {
      const state = await enrollDevice({ server, token: flags.token, oidc, stateDir, name: flags.name, ca_file: flags.caFile, insecure: flags.insecure });
      process.stdout.write(`enrolled as device ${state.device_id} at ${state.overlay_ip}; state written to ${stateDir}\n`);
    } catch (err) {
      if (err instanceof OidcLoginError) fail(err.message);
      throw err;
    }
  });
}

async function runAction(flags: RunFlags): Promise<void> {
  const ifname = interfaceName(flags.interface);
  const signal = stopSignal('the device tunnel');
  await operatorErrors(async () => {
    const code = await runDeviceAgent({
      stateDir: resolveStateDir('device', flags.stateDir),
      ifname,
      postureIntervalMs: seconds('--posture-interval', flags.postureInterval),
      telemetryIntervalMs: seconds('--telemetry-interval', flags.telemetryInterval),
      policyIntervalMs: seconds('--policy-interval', flags.policyInterval),
      postureFile: flags.postureFile,
      wireguardGo: flags.wireguardGo,
      updateIntervalMs: flags.updateInterval === '0' ? 0 : seconds('--update-interval', flags.updateInterval),
      updateChannel: flags.updateChannel,
      log: stderrLog,
      signal,
    });
    process.exit(code);
  });
}

interface UpdateFlags {
  stateDir?: string;
  check?: boolean;
  dryRun?: boolean;
  platform?: string;
  channel?: string;
  publicKey?: string;
  installPath?: string;
}

async function updateAction(flags: UpdateFlags): Promise<void> {
  if (!flags.check) fail('give --check (check the signed manifest and apply a newer verified package)');
  await operatorErrors(async () => {
    try {
      const r = await checkForUpdate({
        stateDir: resolveStateDir('device', flags.stateDir), platform: flags.platform, channel: flags.channel,
        publicKey: flags.publicKey, installPath: flags.installPath, checkOnly: flags.dryRun,
      });
      if (r.status === 'applied') process.stdout.write(`updated ${r.previous} -> ${r.version}: verified package staged at ${r.path}; restart the agent to run it\n`);
      else if (r.status === 'available') process.stdout.write(`update available: ${r.available} (running ${r.version}); nothing applied (--dry-run)\n`);
      else process.stdout.write(`up to date: ${r.version} (the server offers ${r.available})\n`);
    } catch (err) {
      if (err instanceof UpdateRefused) fail(`update refused, nothing applied: ${err.message}`);
      throw err;
    }
  });
}

export function registerAgentDeviceCommands(program: Command): void {
  const device = agentCommand(program)
    .command('device')
    .description('connect this device to zero-trust access: enrol once, then keep a WireGuard tunnel to a gateway');

  device
    .command('enroll')
    .description('enrol with a token or an OIDC identity; the WireGuard key is generated here and never leaves the state directory')
    .requiredOption('--server <url>', 'the Rampart server, e.g. https://rampart.example:8443')
    .option('--token <token>', 'a device enrollment token')
    .option('--oidc-provider <id>', 'enrol as yourself: sign in at this OIDC provider (GET /v1/mobile/auth/oidc/providers lists them) in a browser')
    .option('--redirect-uri <url>', 'where the identity provider sends the browser back (registered there for Rampart\'s client)', DEFAULT_REDIRECT_URI)
    .option('--name <name>', 'the device\'s name; default the hostname')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--ca-file <pem>', 'trust this certificate (PEM) for the server')
    .option('--insecure', 'do not verify the server\'s certificate')
    .action(enrollAction);

  device
    .command('run')
    .description('bring the tunnel up through an admitting gateway; assert posture, renew the SPC, re-admit before expiry')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--interface <name>', 'the WireGuard interface (unique on the machine)', 'rampart0')
    .option('--posture-interval <seconds>', 'seconds between posture assertions', '60')
    .option('--telemetry-interval <seconds>', 'seconds between telemetry reports', '60')
    .option('--policy-interval <seconds>', 'seconds between checks of the policy bundle\'s digest (a new bundle re-asks for admission)', '30')
    .option('--posture-file <file>', 'a JSON object of posture facts, read at every assertion (e.g. from an MDM)')
    .option('--wireguard-go <path>', 'the wireguard-go binary; default wireguard-go on PATH')
    .option('--update-interval <seconds>', 'seconds between checks of the signed update manifest (0: never); a verified newer package is staged and the agent exits 3 for its supervisor to restart it', '0')
    .option('--update-channel <channel>', 'the update channel: stable or canary', 'stable')
    .action(runAction);

  device
    .command('update')
    .description('check the signed update manifest; verify its Ed25519 signature and the package\'s sha256, then stage the package atomically (a tampered one is refused)')
    .option('--check', 'check now (and apply a newer verified package)')
    .option('--dry-run', 'only say whether an update is available')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--platform <platform>', 'the package platform; default this machine\'s, e.g. linux-x64')
    .option('--channel <channel>', 'stable or canary', 'stable')
    .option('--public-key <key>', 'the update-signing public key (raw Ed25519, base64url); default the one pinned at enrollment')
    .option('--install-path <file>', 'where the verified package is staged; default <state-dir>/agent-package')
    .action(updateAction);
}

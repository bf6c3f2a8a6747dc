/** `rampart agent device enroll|run`: a device of the access module. The work is in src/agent/access/. */
import type { Command } from 'commander';
import { enrollDevice, runDeviceAgent } from '../../agent/access/device-agent.js';
import { DEFAULT_REDIRECT_URI, OidcLoginError } from '../../agent/access/oidc-login.js';
import { DEFAULT_STATE_DIRS, resolveStateDir } from '../../agent/access/state.js';
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
      log: stderrLog,
      signal,
    });
    process.exit(code);
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
    .action(runAction);
}

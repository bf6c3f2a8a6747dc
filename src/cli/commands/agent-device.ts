/** `rampart agent device enroll|run`: a device of the access module. The work is in src/agent/access/. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { enrollDevice, runDeviceAgent } from '../../agent/access/device-agent.js';
import { DEFAULT_STATE_DIRS, resolveStateDir } from '../../agent/access/state.js';
import { checkInterfaceName } from '../../agent/access/wireguard.js';
import { stderrLog } from '../../agent/overlay/log.js';
import { fail } from '../fail.js';
import { agentCommand, operatorErrors, seconds, stopSignal } from './agent-access-shared.js';

const STATE_DIR_HELP = `state directory (env RAMPART_AGENT_STATE_DIR); default ${DEFAULT_STATE_DIRS.device}`;

interface EnrollFlags {
  server: string;
  token?: string;
  oidcProvider?: string;
  idTokenFile?: string;
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

function oidcIdentity(flags: EnrollFlags): { provider_id: string; id_token: string } | undefined {
  if (!flags.oidcProvider && !flags.idTokenFile) return undefined;
  if (!flags.oidcProvider || !flags.idTokenFile) fail('--oidc-provider and --id-token-file go together');
  let idToken: string;
  try {
    idToken = readFileSync(flags.idTokenFile, 'utf8').trim();
  } catch (err) {
    fail(`cannot read --id-token-file: ${(err as Error).message}`);
  }
  return { provider_id: flags.oidcProvider, id_token: idToken };
}

async function enrollAction(flags: EnrollFlags): Promise<void> {
  const oidc = oidcIdentity(flags);
  if (!oidc === !flags.token) fail('give either --token or --oidc-provider with --id-token-file');
  const stateDir = resolveStateDir('device', flags.stateDir);
  await operatorErrors(async () => {
    const state = await enrollDevice({ server: flags.server, token: flags.token, oidc, stateDir, name: flags.name, ca_file: flags.caFile, insecure: flags.insecure });
    process.stdout.write(`enrolled as device ${state.device_id} at ${state.overlay_ip}; state written to ${stateDir}\n`);
  });
}

async function runAction(flags: RunFlags): Promise<void> {
  let ifname: string;
  try {
    ifname = checkInterfaceName(flags.interface);
  } catch (err) {
    fail((err as Error).message);
  }
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
    .option('--oidc-provider <id>', 'enrol as the user of an ID token from this identity provider')
    .option('--id-token-file <file>', 'the ID token (a JWT) from --oidc-provider')
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

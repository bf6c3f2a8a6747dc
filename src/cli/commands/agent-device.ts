/** `rampart agent device enroll|run`: a device of the access module. The work is in src/agent/access/. */
import type { Command } from 'commander';
import type { EnrollFlags, RunFlags, UpdateFlags } from './agent-device.actions.js';
import { DEFAULT_STATE_DIRS } from '../../agent/access/state.js';
import { agentCommand } from './agent-command.js';

const STATE_DIR_HELP = `state directory (env RAMPART_AGENT_STATE_DIR); default ${DEFAULT_STATE_DIRS.device}`;
/** Where the identity provider sends the browser back by default: the loopback listener of agent/access/oidc-login. */
const DEFAULT_REDIRECT_URI = 'http://127.0.0.1:53682/callback';

/** The commands' work, loaded when one runs: `rampart version` and the other commands start without it. */
const actions = () => import('./agent-device.actions.js');

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
    .action(async (flags: EnrollFlags) => (await actions()).enrollAction(flags));

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
    .action(async (flags: RunFlags) => (await actions()).runAction(flags));

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
    .action(async (flags: UpdateFlags) => (await actions()).updateAction(flags));
}

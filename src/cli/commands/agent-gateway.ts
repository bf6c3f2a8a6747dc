/** `rampart agent gateway enroll|run`: a WireGuard gateway of the access module. The work is in src/agent/access/. */
import type { Command } from 'commander';
import type { EnrollFlags, RunFlags } from './agent-gateway.actions.js';
import { DEFAULT_STATE_DIRS } from '../../agent/access/state.js';
import { agentCommand } from './agent-command.js';

const STATE_DIR_HELP = `state directory (env RAMPART_AGENT_STATE_DIR); default ${DEFAULT_STATE_DIRS.gateway}`;

/** The commands' work, loaded when one runs: `rampart version` and the other commands start without it. */
const actions = () => import('./agent-gateway.actions.js');

export function registerAgentGatewayCommands(program: Command): void {
  const gateway = agentCommand(program)
    .command('gateway')
    .description('run a zero-trust access gateway: WireGuard (wireguard-go), admission of devices with valid SPCs, per-device nftables rules');

  gateway
    .command('enroll')
    .description('redeem a gateway enrollment token; the WireGuard key is generated here and stays in the state directory')
    .requiredOption('--server <url>', 'the Rampart server, e.g. https://rampart.example:8443')
    .requiredOption('--token <token>', 'a gateway enrollment token (kind gateway, bound to a pool)')
    .requiredOption('--endpoint <host:port>', 'where devices reach this gateway\'s WireGuard (UDP)')
    .option('--admission-url <url>', 'where devices present their SPC; default http://<endpoint host>:<endpoint port + 1>/v1/admit')
    .option('--name <name>', 'the gateway\'s name; default the hostname')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--ca-file <pem>', 'trust this certificate (PEM) for the server')
    .option('--insecure', 'do not verify the server\'s certificate')
    .action(async (flags: EnrollFlags) => (await actions()).enrollAction(flags));

  gateway
    .command('run')
    .description('bring WireGuard up, admit devices on grants, enforce their destinations, follow the control plane\'s changes')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--interface <name>', 'the WireGuard interface (unique on the machine)', 'rampart-gw')
    .option('--listen-port <port>', 'the WireGuard UDP port', '51820')
    .option('--admission-listen <host:port>', 'the admission endpoint; default 0.0.0.0:<listen port + 1>')
    .option('--poll-interval <seconds>', 'seconds between pulls of the runtime routes (the fallback to the change push)', '30')
    .option('--metering-interval <seconds>', 'seconds per metering window', '60')
    .option('--heartbeat-interval <seconds>', 'seconds between heartbeats (devices are sent only to gateways whose heartbeats come)', '15')
    .option('--no-push', 'do not long-poll the control plane\'s change push; changes then land within one --poll-interval')
    .option('--wireguard-go <path>', 'the wireguard-go binary; default wireguard-go on PATH')
    .action(async (flags: RunFlags) => (await actions()).runAction(flags));
}

/** `rampart agent overlay enroll|run`: the device side of the overlay. The work is in src/agent/overlay/. */
import type { Command } from 'commander';
import type { EnrollFlags, RunFlags } from './agent-overlay.actions.js';
import { DEFAULT_STATE_DIR } from '../../agent/overlay/state.js';

const STATE_DIR_HELP = `state directory (env RAMPART_AGENT_STATE_DIR); default ${DEFAULT_STATE_DIR}`;

/** The commands' work, loaded when one runs: `rampart version` and the other commands start without it. */
const actions = () => import('./agent-overlay.actions.js');

export function registerAgentOverlayCommands(program: Command): void {
  const overlay = program
    .command('agent')
    .description('software that runs on devices, not on the Rampart server')
    .command('overlay')
    .description('keep a device on a Rampart overlay network: enroll it once, then run nebula on the config the server holds');

  overlay
    .command('enroll')
    .description('redeem a one-time enrollment code and store the device token in the state directory')
    .requiredOption('--server <url>', 'the Rampart server, e.g. https://rampart.example:8443')
    .requiredOption('--code <code>', 'the enrollment code an administrator created for this node')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--ca-file <pem>', "trust this certificate (PEM) for the server, e.g. a self-signed Rampart's cert.pem")
    .option('--insecure', "do not verify the server's certificate")
    .action(async (flags: EnrollFlags) => (await actions()).enrollAction(flags));

  overlay
    .command('run')
    .description('poll the config, run nebula on it and restart nebula when it changes; send heartbeats')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--interval <seconds>', 'seconds between polls', '60')
    .option('--nebula <path>', 'the nebula binary (or a wrapper that passes its arguments to nebula); default: nebula on PATH')
    .action(async (flags: RunFlags) => (await actions()).runAction(flags));
}

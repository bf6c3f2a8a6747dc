/** `rampart agent overlay enroll|run`: the device side of the overlay. The work is in src/agent/overlay/. */
import type { Command } from 'commander';
import { enrollDevice, EnrollError } from '../../agent/overlay/enroll.js';
import { stderrLog } from '../../agent/overlay/log.js';
import { resolveNebulaPath } from '../../agent/overlay/nebula-supervisor.js';
import { runOverlayAgent } from '../../agent/overlay/poll-loop.js';
import { AgentStateError, DEFAULT_STATE_DIR, resolveStateDir } from '../../agent/overlay/state.js';
import { fail } from '../fail.js';

const STATE_DIR_HELP = `state directory (env RAMPART_AGENT_STATE_DIR); default ${DEFAULT_STATE_DIR}`;

interface EnrollFlags {
  server: string;
  code: string;
  stateDir?: string;
  caFile?: string;
  insecure?: boolean;
}

interface RunFlags {
  stateDir?: string;
  interval: string;
  nebula?: string;
}

async function enrollAction(flags: EnrollFlags): Promise<void> {
  const stateDir = resolveStateDir(flags.stateDir);
  try {
    const { state, file } = await enrollDevice({ ...flags, stateDir });
    process.stdout.write(`enrolled as ${state.hostname || 'this device'} (node ${state.node_id}); state written to ${file}\n`);
  } catch (err) {
    if (err instanceof EnrollError) fail(err.message);
    throw err;
  }
}

async function runAction(flags: RunFlags): Promise<void> {
  const interval = Number(flags.interval);
  if (!Number.isFinite(interval) || interval <= 0) fail(`--interval must be a positive number of seconds, got "${flags.interval}"`);
  const nebulaPath = resolveNebulaPath(flags.nebula);
  if (!nebulaPath) fail(flags.nebula ? `--nebula ${flags.nebula} is not an executable file` : 'nebula is not on PATH; install it or pass --nebula PATH');

  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stderrLog(`${signal} received; stopping nebula`);
      stop.abort();
    });
  }
  try {
    const code = await runOverlayAgent({ stateDir: resolveStateDir(flags.stateDir), intervalMs: interval * 1000, nebulaPath, log: stderrLog, signal: stop.signal });
    process.exit(code);
  } catch (err) {
    if (err instanceof AgentStateError) fail(err.message);
    throw err;
  }
}

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
    .action(enrollAction);

  overlay
    .command('run')
    .description('poll the config, run nebula on it and restart nebula when it changes; send heartbeats')
    .option('--state-dir <dir>', STATE_DIR_HELP)
    .option('--interval <seconds>', 'seconds between polls', '60')
    .option('--nebula <path>', 'the nebula binary (or a wrapper that passes its arguments to nebula); default: nebula on PATH')
    .action(runAction);
}

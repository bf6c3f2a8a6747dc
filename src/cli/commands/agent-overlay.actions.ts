/** What `rampart agent overlay ...` does when it runs: imported by its command only then (agent-overlay.ts). */
import { enrollDevice, EnrollError } from '../../agent/overlay/enroll.js';
import { stderrLog } from '../../agent/overlay/log.js';
import { resolveNebulaPath } from '../../agent/overlay/nebula-supervisor.js';
import { runOverlayAgent } from '../../agent/overlay/poll-loop.js';
import { AgentStateError, resolveStateDir } from '../../agent/overlay/state.js';
import { fail } from '../fail.js';

export interface EnrollFlags {
  server: string;
  code: string;
  stateDir?: string;
  caFile?: string;
  insecure?: boolean;
}

export interface RunFlags {
  stateDir?: string;
  interval: string;
  nebula?: string;
}

export async function enrollAction(flags: EnrollFlags): Promise<void> {
  const stateDir = resolveStateDir(flags.stateDir);
  try {
    const { state, file } = await enrollDevice({ ...flags, stateDir });
    process.stdout.write(`enrolled as ${state.hostname || 'this device'} (node ${state.node_id}); state written to ${file}\n`);
  } catch (err) {
    if (err instanceof EnrollError) fail(err.message);
    throw err;
  }
}

export async function runAction(flags: RunFlags): Promise<void> {
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


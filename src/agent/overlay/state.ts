/** What enrollment leaves on the device: DIR/agent.json (the device token: 0600 in a 0700 directory). */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';

export const DEFAULT_STATE_DIR = '/var/lib/rampart-agent/overlay';

export interface AgentState {
  /** Base URL of the Rampart server, without a trailing slash. */
  server: string;
  node_id: string | number;
  hostname: string;
  device_token: string;
  /** PEM file to trust for the server's certificate (a self-signed Rampart), absolute. */
  ca_file?: string;
  /** Skip certificate verification altogether. */
  insecure?: boolean;
}

export class AgentStateError extends Error {}

/** --state-dir, else RAMPART_AGENT_STATE_DIR, else the system default. */
export function resolveStateDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.RAMPART_AGENT_STATE_DIR || DEFAULT_STATE_DIR;
}

export const stateFile = (dir: string) => join(dir, 'agent.json');
export const configFile = (dir: string) => join(dir, 'config.yml');

export function ensureStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

export function writeState(dir: string, state: AgentState): void {
  ensureStateDir(dir);
  writeFileAtomic(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

export function readState(dir: string): AgentState {
  const file = stateFile(dir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AgentStateError(`not enrolled: ${file} does not exist; run \`rampart agent overlay enroll\` first`);
    }
    throw new AgentStateError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let state: Partial<AgentState>;
  try {
    state = JSON.parse(text);
  } catch {
    throw new AgentStateError(`${file} is not valid JSON; re-enroll with \`rampart agent overlay enroll\``);
  }
  for (const key of ['server', 'device_token'] as const) {
    if (typeof state[key] !== 'string' || !state[key]) throw new AgentStateError(`${file} has no ${key}; re-enroll with \`rampart agent overlay enroll\``);
  }
  if (state.node_id === undefined || state.node_id === null || state.node_id === '') {
    throw new AgentStateError(`${file} has no node_id; re-enroll with \`rampart agent overlay enroll\``);
  }
  return state as AgentState;
}

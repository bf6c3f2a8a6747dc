/**
 * What enrollment leaves in an access agent's state dir (0700): `<kind>.json` with the bearer credential (0600)
 * and `wireguard.key`, the WireGuard private key (0600), generated here and never sent anywhere.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';

export type AgentKind = 'device' | 'gateway';

export const DEFAULT_STATE_DIRS: Record<AgentKind, string> = {
  device: '/var/lib/rampart-agent/device',
  gateway: '/var/lib/rampart-agent/gateway',
};

export interface DeviceState {
  server: string;
  device_id: string;
  device_token: string;
  overlay_ip: string;
  public_key: string;
  spc?: string;
  ca_file?: string;
  insecure?: boolean;
  /** The update-signing public key (raw Ed25519, base64url) pinned at enrollment. */
  update_public_key?: string;
  /** The agent package version last applied by `agent device update`. */
  update_version?: string;
}

export interface GatewayState {
  server: string;
  gateway_id: string;
  gateway_token: string;
  pool_id: string | null;
  public_key: string;
  ca_file?: string;
  insecure?: boolean;
}

export class AgentStateError extends Error {}

export const keyFile = (dir: string) => join(dir, 'wireguard.key');
export const stateFile = (dir: string, kind: AgentKind) => join(dir, `${kind}.json`);

export function resolveStateDir(kind: AgentKind, flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.RAMPART_AGENT_STATE_DIR || DEFAULT_STATE_DIRS[kind];
}

export function ensureStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

export function writeAgentState(dir: string, kind: AgentKind, state: DeviceState | GatewayState): void {
  ensureStateDir(dir);
  writeFileAtomic(stateFile(dir, kind), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

const REQUIRED: Record<AgentKind, string[]> = {
  device: ['server', 'device_id', 'device_token', 'overlay_ip', 'public_key'],
  gateway: ['server', 'gateway_id', 'gateway_token', 'public_key'],
};

export function readAgentState<K extends AgentKind>(dir: string, kind: K): K extends 'device' ? DeviceState : GatewayState {
  const file = stateFile(dir, kind);
  const again = `run \`rampart agent ${kind} enroll\``;
  let state: Record<string, unknown>;
  try {
    state = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AgentStateError(`not enrolled: ${file} does not exist; ${again} first`);
    throw new AgentStateError(`cannot read ${file}: ${(err as Error).message}; ${again} again`);
  }
  for (const key of REQUIRED[kind]) {
    if (typeof state[key] !== 'string' || !state[key]) throw new AgentStateError(`${file} has no ${key}; ${again} again`);
  }
  return state as never;
}

/** What `rampart agent gateway` and `rampart agent device` share: number flags, signals, error endings. */
import { AgentStateError } from '../../agent/access/state.js';
import { AccessHttpError, AccessNetworkError } from '../../agent/access/http.js';
import { normalizeServerUrl } from '../../agent/common/server-url.js';
import { checkInterfaceName } from '../../agent/access/wireguard.js';
import { stderrLog } from '../../agent/overlay/log.js';
import { fail } from '../fail.js';

/** The flags both access agents' `enroll` take. */
export interface EnrollFlagsBase {
  server: string;
  name?: string;
  stateDir?: string;
  caFile?: string;
  insecure?: boolean;
}

/** The flags both access agents' `run` take. */
export interface RunFlagsBase {
  stateDir?: string;
  interface: string;
  wireguardGo?: string;
}

export function seconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) fail(`${flag} must be a positive number of seconds, got "${value}"`);
  return n * 1000;
}

export function port(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${flag} must be a port (1-65535), got "${value}"`);
  return n;
}

/** host:port (an IPv6 host in brackets). */
export function hostPort(flag: string, value: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(value);
  if (!match || !match[1]) fail(`${flag} must be host:port, got "${value}"`);
  return { host: match[1], port: port(flag, match[2]) };
}

/** --interface: a name the kernel takes, checked before anything starts. */
export function interfaceName(value: string): string {
  try {
    return checkInterfaceName(value);
  } catch (err) {
    fail((err as Error).message);
  }
}

/** --server, checked before anything is written. */
export function serverUrl(value: string): string {
  try {
    return normalizeServerUrl(value);
  } catch (err) {
    fail((err as Error).message);
  }
}

/** An AbortSignal that fires on SIGTERM or SIGINT. */
export function stopSignal(what: string): AbortSignal {
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stderrLog(`${signal} received; stopping ${what}`);
      stop.abort();
    });
  }
  return stop.signal;
}

/** Ends a command on the errors an operator can act on, with one line instead of a stack. */
export async function operatorErrors(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof AgentStateError || err instanceof AccessHttpError || err instanceof AccessNetworkError) fail(err.message);
    throw err;
  }
}

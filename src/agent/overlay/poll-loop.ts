/**
 * `rampart agent overlay run`: keep nebula running on the config the server holds for this device.
 *
 * Each poll fetches the config (If-None-Match the last ETag), writes it atomically and restarts nebula when it
 * changed, then sends a heartbeat. Failures back off exponentially and leave the running nebula alone, so the
 * overlay keeps working while the server is away. A 401 means the token is gone (revoked, or superseded by a
 * re-enroll): nebula is stopped and the agent exits 2. An abort (SIGTERM/SIGINT) stops nebula and returns 0.
 */
import { existsSync, readFileSync } from 'node:fs';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { DeviceClient, DeviceHttpError } from './http-client.js';
import type { AgentLog } from './log.js';
import { NebulaSupervisor } from './nebula-supervisor.js';
import { configFile, readState } from './state.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import { sleep } from '../common/sleep.js';

export const TOKEN_REJECTED = 'the device token was rejected (401): re-enroll with `rampart agent overlay enroll`';

export interface AgentRunOptions {
  stateDir: string;
  intervalMs: number;
  nebulaPath: string;
  log: AgentLog;
  signal: AbortSignal;
  backoff?: BackoffOptions;
  random?: () => number;
  /** How long nebula gets between SIGTERM and SIGKILL. */
  stopTimeoutMs?: number;
}

const readIfExists = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);

/** The exit code: 0 after an abort, 2 when the server rejected the device token. */
export async function runOverlayAgent(options: AgentRunOptions): Promise<0 | 2> {
  const { stateDir, log, signal } = options;
  const state = readState(stateDir);
  const client = new DeviceClient(state.server, state.device_token, state);
  const config = configFile(stateDir);
  const nebula = new NebulaSupervisor({ nebulaPath: options.nebulaPath, configPath: config, log, stopTimeoutMs: options.stopTimeoutMs });
  let etag: string | undefined;
  let failures = 0;

  async function poll(): Promise<void> {
    const result = await client.fetchConfig(etag, signal);
    if (result.changed) {
      // An unchanged body (the first poll after a restart of the agent) must not bounce nebula.
      if (readIfExists(config) !== result.yaml) {
        writeFileAtomic(config, result.yaml, 0o600);
        const tag = result.etag ?? 'none';
        if (nebula.running) {
          log(`config changed (ETag ${tag}); restarting nebula`);
          await nebula.restart();
        } else {
          log(`config received (ETag ${tag})`);
        }
      }
      // Only once written: a failed write must be retried with a full fetch, not answered 304.
      etag = result.etag;
    }
    if (!nebula.running && !signal.aborted && existsSync(config)) nebula.start();
    await client.heartbeat(state.node_id, signal);
  }

  log(`polling ${state.server} every ${options.intervalMs / 1000}s as ${state.hostname || 'this device'} (node ${state.node_id})`);
  let tokenRejected = false;
  try {
    // The last config keeps the overlay up even when the server cannot be reached right now.
    if (existsSync(config)) nebula.start();
    while (!signal.aborted && !tokenRejected) {
      try {
        await poll();
        if (failures > 0) log(`the server answers again after ${failures} failed poll${failures === 1 ? '' : 's'}`);
        failures = 0;
        await sleep(options.intervalMs, signal);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof DeviceHttpError && err.status === 401) {
          tokenRejected = true;
          continue;
        }
        // Network errors and 5xx are why this backs off; other 4xx (a deleted node) are not fixed by hammering either.
        failures++;
        const delay = backoffDelayMs(failures, options.backoff ?? DEFAULT_BACKOFF, options.random);
        const keeps = nebula.running ? '; nebula keeps running' : '';
        log(`poll failed: ${(err as Error).message}; retrying in ${(delay / 1000).toFixed(1)}s${keeps}`);
        await sleep(delay, signal);
      }
    }
  } finally {
    await nebula.stop();
  }
  // Last, so it is the line the operator sees.
  if (tokenRejected) log(TOKEN_REJECTED);
  return tokenRejected ? 2 : 0;
}

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './process.js';
import { waitFor } from './wait.js';

export interface NamespacedRampart {
  output(): string;
  stop(): Promise<void>;
}

/**
 * The real CLI inside a network namespace (the SSH lab's client side, from which every lab host is reachable), its
 * API on a unix socket the test reaches through the shared file system (see unixSocketForwarder). Settings come
 * only from `env`, not from the test's own RAMPART_* variables. Resolves once it serves.
 */
export async function startRampartInNamespace(netns: string, opts: { dataDir: string; socket: string; env?: NodeJS.ProcessEnv }): Promise<NamespacedRampart> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RAMPART_')));
  const args = ['serve', '--insecure-http', '--data-dir', opts.dataDir, '--listen', `unix:${opts.socket}`, '--metrics-listen', '127.0.0.1:0'];
  const proc = spawn('ip', ['netns', 'exec', netns, process.execPath, join(repoRoot, 'bin/rampart.js'), ...args], {
    cwd: repoRoot,
    env: { ...inherited, RAMPART_LOG_FORMAT: 'json', RAMPART_AUTH_ARGON2_MAX_WAIT_MS: '60000', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c) => (out = (out + c).slice(-20_000)));
  proc.stderr!.on('data', (c) => (out = (out + c).slice(-20_000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  // A bound on a hung start, not a wait: a loaded machine can take tens of seconds.
  await waitFor('Rampart to serve', () => {
    if (proc.exitCode !== null) throw new Error(`rampart exited (${proc.exitCode}) before serving:\n${out}`);
    return out.includes('"msg":"Rampart is serving"');
  }, 120_000, 100).catch(async (err) => {
    await stop();
    throw err;
  });
  return { output: () => out, stop };
}

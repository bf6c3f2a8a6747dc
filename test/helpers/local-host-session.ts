/**
 * A HostSession that runs commands on this machine, inside a private mount namespace (and optionally a network
 * namespace) that stands in for a managed host: /etc is an overlay whose upper layer is a directory of this harness,
 * so fixture files (sshd_config, login.defs, modprobe.d ...) appear at their real paths and writes (remediation)
 * land in that layer, never on the machine's own /etc. /run is a fresh tmpfs with /run/sshd, as sshd -T wants.
 *
 * One long-lived namespace per host, held by a process reading a pipe from this one; every command enters it with
 * nsenter and runs in sh -c, as a real session's commands do over SSH. The runner is root, so `sudo` is a no-op
 * here. When this process ends, however it ends, the holder sees its pipe close and exits: the namespace and its
 * mounts go with it; the next run removes scratch directories left by runs that died.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CommandResult, HostSession, RunOptions } from '../../src/modules/fleet/ssh/ssh.types.js';
import { waitFor } from './wait.js';

export interface LocalHostOptions {
  /** Files shown under /etc, by path relative to /etc ('ssh/sshd_config'). */
  etc?: Record<string, string>;
  /** A private network namespace too, so net.* sysctls can be set without touching the machine's. */
  network?: boolean;
  /** Shell commands run inside the namespace before it is used (mount a tmpfs on /tmp with options, sysctl -w). */
  setup?: string[];
}

export interface LocalHost {
  session: HostSession;
  /** Where the host's /etc changes live: fixture files and whatever commands wrote. */
  etcUpper: string;
  /** Writes (or replaces) a file in the host's /etc. */
  writeEtc(relative: string, content: string): void;
  /** Reads a file as the host sees it. */
  readFile(path: string): Promise<string>;
  close(): Promise<void>;
}

const SCRATCH_PREFIX = 'rampart-fleet-host-';

/** Scratch directories of earlier test processes that are gone (killed before they could clean up). */
function removeLeftovers(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(new RegExp(`^${SCRATCH_PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch {
      spawnSync('rm', ['-rf', join(tmpdir(), name)]);
    }
  }
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const holder of live) holder.kill('SIGKILL');
});

export async function startLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  removeLeftovers();
  const root = mkdtempSync(join(tmpdir(), `${SCRATCH_PREFIX}${process.pid}-`));
  const upper = join(root, 'etc-upper');
  const work = join(root, 'etc-work');
  mkdirSync(upper);
  mkdirSync(work);
  const writeEtc = (relative: string, content: string) => {
    const path = join(upper, relative);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  };
  for (const [relative, content] of Object.entries(options.etc ?? {})) writeEtc(relative, content);

  const script = [
    'set -e',
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${upper},workdir=${work} /etc`,
    'mount -t tmpfs -o mode=0755 tmpfs /run',
    'mkdir -p /run/sshd',
    ...(options.setup ?? []),
    'echo ready',
    // Held open by a pipe from this process: if it dies, even by SIGKILL, cat sees EOF and the namespace goes.
    'exec cat >/dev/null',
  ].join('\n');
  const unshareArgs = ['--mount', '--propagation', 'private', ...(options.network ? ['--net'] : []), 'sh', '-c', script];
  const holder = spawn('unshare', unshareArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(holder);
  let out = '';
  let err = '';
  holder.stdout.on('data', (c) => (out += c));
  holder.stderr.on('data', (c) => (err += c));
  let exited = false;
  holder.once('exit', () => (exited = true));
  try {
    await waitFor('the host namespace to be set up', () => {
      if (exited) throw new Error(`namespace setup failed: ${err || out}`);
      return out.includes('ready');
    }, 20_000);
  } catch (e) {
    holder.kill('SIGKILL');
    live.delete(holder);
    rmSync(root, { recursive: true, force: true });
    throw e;
  }

  const nsenter = ['--target', String(holder.pid), '--mount', ...(options.network ? ['--net'] : [])];
  const session: HostSession = {
    target: { hostId: 'local-test-host', hostKeyName: 'local-test-host', address: '127.0.0.1', port: 22 },
    privilege: 'root',
    hostKeyFingerprint: 'SHA256:local-test-host',
    run: (command, runOptions) => runInNamespace(nsenter, command, runOptions),
    close: async () => undefined,
  };
  return {
    session,
    etcUpper: upper,
    writeEtc,
    async readFile(path) {
      const result = await session.run(`cat -- '${path}'`);
      if (result.exitCode !== 0) throw new Error(`reading ${path}: ${result.stderr}`);
      return result.stdout;
    },
    async close() {
      holder.kill('SIGKILL');
      live.delete(holder);
      if (!exited) await new Promise((resolve) => holder.once('exit', resolve));
      // Overlay workdirs keep root-only entries: rm as root, which the runner is.
      spawnSync('rm', ['-rf', root]);
    },
  };
}

function runInNamespace(nsenter: string[], command: string, options: RunOptions = {}): Promise<CommandResult> {
  const started = Date.now();
  const limit = options.maxOutputBytes ?? 64 * 1024;
  return new Promise((resolve) => {
    const child = spawn('nsenter', [...nsenter, '--', 'sh', '-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let truncated = false;
    const collect = (stream: NodeJS.ReadableStream) => {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        if (size >= limit) return void (truncated = true);
        const room = limit - size;
        if (chunk.length > room) truncated = true;
        chunks.push(chunk.subarray(0, room));
        size += Math.min(chunk.length, room);
      });
      return () => Buffer.concat(chunks).toString('utf8');
    };
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ command, stdout: stdout(), stderr: stderr(), exitCode: timedOut ? null : code, truncated, timedOut, durationMs: Date.now() - started });
    });
  });
}

/** Reads a file the host wrote under /etc, straight from the overlay's upper layer. */
export function readUpper(host: LocalHost, relative: string): string {
  return readFileSync(join(host.etcUpper, relative), 'utf8');
}

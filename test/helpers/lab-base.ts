/**
 * What every network-namespace lab shares (netns.ts, edge-lab.ts, routed-lab.ts, wg-lab.ts): making its namespaces,
 * joining them (bridges, veth pairs, addresses, routes), running commands inside them, and removing all of it.
 * A lab subclass names its namespaces and says in build() how they are wired; nothing else.
 *
 * Every link is created from inside a namespace a lab made (`ip -n <ns> link add ... peer ... netns <ns>`), so the
 * machine's own interfaces, routes and firewall ruleset are never touched. Namespace names are
 * `<prefix><pid>-<n>-<name>`: a lab removes what it made in destroy(), a process-exit hook does the same if a test
 * run dies before its after() hook, and a new lab removes leftovers of runs whose process is gone. Leftovers are
 * found through marker files written before each namespace is made, so a namespace no lab made is never removed.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './process.js';
import { waitFor } from './wait.js';
import { withoutRampartEnv } from './socket-api.js';

/** One empty file per namespace a lab created, named after it. */
const MARKERS = join(tmpdir(), 'rampart-netns-lab');
/** The owner's pid in a lab namespace's name (`rp123-1-hub`, `rpf123-1-lan`, `rwg123-1-c` ...). */
const OWNER_PID = /^[a-z]+(\d+)-/;
const STOP_GRACE_MS = 5_000;
/** How much of a process's output a lab keeps (the end): a prober that prints all test long stays bounded. */
const OUTPUT_KEPT = 200_000;

export interface ExecResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout then stderr. */
  output: string;
}

export interface Spawned {
  proc: ChildProcess;
  /** What the process wrote to stdout and stderr so far, interleaved (the last OUTPUT_KEPT characters). */
  output(): string;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

export interface ServeOptions {
  dataDir: string;
  /** Where its API listens. */
  socket: string;
  /** Added to (and over) the lab's settings. */
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

/** A Rampart a lab runs; `context()` is its recent output, for assertion messages. */
export type ServingRampart = Spawned & { context(): string };

function ip(args: string[], allowFailure = false): SpawnSyncReturns<string> {
  const result = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (!allowFailure && result.status !== 0) {
    throw new Error(`ip ${args.join(' ')} failed (${result.status}): ${result.stderr || result.error?.message}`);
  }
  return result;
}

const listNamespaces = () =>
  ip(['netns', 'list'], true).stdout.split('\n').map((line) => line.split(' ')[0]).filter(Boolean);

const pidsIn = (netns: string) => ip(['netns', 'pids', netns], true).stdout.split('\n').map(Number).filter((pid) => pid > 0);

export const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Kills whatever still runs inside (a namespace outlives `ip netns del` while processes hold it), then deletes it. */
function removeNamespace(netns: string): void {
  if (listNamespaces().includes(netns)) {
    for (const pid of pidsIn(netns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    ip(['netns', 'del', netns], true);
  }
  rmSync(join(MARKERS, netns), { force: true });
}

/** Namespaces of earlier runs whose test process died without cleaning up; live runs are left alone. */
function removeLeftoverNamespaces(): void {
  mkdirSync(MARKERS, { recursive: true, mode: 0o700 });
  for (const netns of readdirSync(MARKERS)) {
    const owner = Number(OWNER_PID.exec(netns)?.[1]);
    if (owner && owner !== process.pid && !pidAlive(owner)) removeNamespace(netns);
  }
}

/** Labs still alive in this process, destroyed on exit if a test forgot (or crashed before after()). */
const live = new Set<NamespaceLab<string>>();
process.once('exit', () => live.forEach((lab) => lab.destroySync()));

let labCount = 0;

export abstract class NamespaceLab<Name extends string> {
  /** `<prefix><pid>-<n>`, the start of every namespace name of this lab. */
  protected readonly id: string;
  /** This lab's number in the process. */
  protected readonly seq = ++labCount;
  /** The real (prefixed) namespace names, for `ip netns exec` and `netns <ns>` arguments. */
  readonly ns: Record<Name, string>;
  private readonly created: string[] = [];
  private readonly processes: Spawned[] = [];
  private destroyed = false;

  /** suffixes: each namespace's name in the lab and the end of its real name (short keeps `ip` output readable). */
  protected constructor(prefix: string, suffixes: Record<Name, string>) {
    this.id = `${prefix}${process.pid}-${this.seq}`;
    this.ns = Object.fromEntries(Object.entries(suffixes).map(([name, suffix]) => [name, `${this.id}-${suffix}`])) as Record<Name, string>;
    live.add(this);
  }

  /** Wires the namespaces (all made, lo up, when it runs). */
  protected abstract build(): void;

  /** Makes the namespaces and builds the lab; whatever part of it was made is removed again if that fails. */
  protected open(): this {
    removeLeftoverNamespaces();
    try {
      for (const netns of Object.values<string>(this.ns)) this.addNamespace(netns);
      this.build();
    } catch (err) {
      this.destroySync();
      throw err;
    }
    return this;
  }

  private addNamespace(netns: string): void {
    writeFileSync(join(MARKERS, netns), '');
    this.created.push(netns);
    ip(['netns', 'add', netns]);
    ip(['-n', netns, 'link', 'set', 'lo', 'up']);
  }

  private netnsOf(name: Name): string {
    const netns = this.ns[name];
    if (!netns) throw new Error(`no namespace "${name}" in this lab (${Object.keys(this.ns).join(', ')})`);
    return netns;
  }

  /** `ip -n <namespace> ...`. */
  protected ipIn(name: Name, args: string[]): void {
    ip(['-n', this.netnsOf(name), ...args]);
  }

  /** A bridge, up. */
  protected bridge(name: Name, bridge = 'br0'): void {
    this.ipIn(name, ['link', 'add', bridge, 'type', 'bridge']);
    this.ipIn(name, ['link', 'set', bridge, 'up']);
  }

  /** A veth pair: `dev` in namespace `name`, `peerDev` in `peer`; both down until addresses() or bridgePort(). */
  protected veth(name: Name, dev: string, peer: Name, peerDev: string): void {
    this.ipIn(name, ['link', 'add', dev, 'type', 'veth', 'peer', 'name', peerDev, 'netns', this.netnsOf(peer)]);
  }

  /** A veth pair whose `port` end sits on the bridge in `switchName`, up; the `dev` end is in `name`. */
  protected bridgePort(switchName: Name, port: string, name: Name, dev: string, bridge = 'br0'): void {
    this.veth(switchName, port, name, dev);
    this.ipIn(switchName, ['link', 'set', port, 'master', bridge]);
    this.ipIn(switchName, ['link', 'set', port, 'up']);
  }

  /** Adds the addresses (CIDRs) to a device and sets it up. */
  protected addresses(name: Name, dev: string, cidrs: string[]): void {
    for (const cidr of cidrs) this.ipIn(name, ['addr', 'add', cidr, 'dev', dev]);
    this.ipIn(name, ['link', 'set', dev, 'up']);
  }

  protected route(name: Name, destination: string, via: string): void {
    this.ipIn(name, ['route', 'add', destination, 'via', via]);
  }

  /**
   * Makes a namespace a router (per-namespace sysctls). shortTcpTeardown: conntrack ends closed TCP flows within a
   * second or two, so a test's closed connections do not linger in it.
   */
  protected forwardIpv4(name: Name, opts: { shortTcpTeardown?: boolean } = {}): void {
    this.exec(name, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    if (!opts.shortTcpTeardown) return;
    for (const key of ['tcp_timeout_time_wait', 'tcp_timeout_close', 'tcp_timeout_fin_wait', 'tcp_timeout_close_wait', 'tcp_timeout_last_ack']) {
      this.exec(name, 'sysctl', ['-qw', `net.netfilter.nf_conntrack_${key}=1`], true);
    }
  }

  /** Runs a command to completion in a namespace; throws with its stderr when it fails, unless allowFailure. */
  exec(name: Name, command: string, args: string[], allowFailure = false, timeoutMs = 30_000): ExecResult {
    const result = spawnSync('ip', ['netns', 'exec', this.netnsOf(name), command, ...args], { encoding: 'utf8', timeout: timeoutMs });
    const stdout = result.stdout ?? '';
    const stderr = `${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
    if (!allowFailure && result.status !== 0) throw new Error(`${command} ${args.join(' ')} in ${name} failed (${result.status}): ${stderr}`);
    return { status: result.status, stdout, stderr, output: stdout + stderr };
  }

  /** Runs a command in a namespace without blocking the test's event loop (ping, curl). */
  async run(name: Name, command: string, args: string[], timeoutMs = 30_000): Promise<ExecResult> {
    const child = this.spawn(name, command, args);
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs);
    const status = await child.exited;
    clearTimeout(timer);
    return { status, stdout: child.stdout(), stderr: child.stderr(), output: child.output() };
  }

  /** Starts a long-running process in a namespace; destroy() stops it. */
  spawn(name: Name, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Spawned {
    this.assertUsable();
    // `ip netns exec` execs the command, so the child's pid is the command's own.
    const proc = spawn('ip', ['netns', 'exec', this.netnsOf(name), command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const text = { output: '', stdout: '', stderr: '' };
    const keep = (stream: 'stdout' | 'stderr', chunk: string) => {
      text.output = (text.output + chunk).slice(-OUTPUT_KEPT);
      text[stream] = (text[stream] + chunk).slice(-OUTPUT_KEPT);
    };
    proc.stdout!.on('data', (chunk) => keep('stdout', chunk));
    proc.stderr!.on('data', (chunk) => keep('stderr', chunk));
    const exited = new Promise<number | null>((resolve) => {
      proc.once('error', () => resolve(null));
      proc.once('exit', (code) => resolve(code));
    });
    const spawned = { proc, output: () => text.output, stdout: () => text.stdout, stderr: () => text.stderr, exited };
    this.processes.push(spawned);
    return spawned;
  }

  /**
   * A real `rampart serve` (the CLI, no inherited RAMPART_* settings) in a namespace, data plane on: SQLite in dataDir,
   * its API on a unix socket the host reaches through the shared file system (sockets in the file system cross
   * namespaces). Resolves once it serves.
   */
  protected async serveRampart(name: Name, opts: ServeOptions): Promise<ServingRampart> {
    const args = ['serve', '--insecure-http', '--data-dir', opts.dataDir, '--listen', `unix:${opts.socket}`, '--metrics-listen', '127.0.0.1:0'];
    const env = withoutRampartEnv({
      RAMPART_LOG_FORMAT: 'json',
      RAMPART_DATAPLANE_ENABLED: 'true',
      // No 503 for a password hash that waits on a loaded machine.
      RAMPART_AUTH_ARGON2_MAX_WAIT_MS: '60000',
      ...opts.env,
    });
    const rampart = this.spawn(name, process.execPath, [join(repoRoot, 'bin/rampart.js'), ...args], env);
    const context = () => `--- rampart:\n${rampart.output().slice(-4000)}`;
    // A bound on a hung start, not a wait: a loaded machine can take tens of seconds (an emulated VM, minutes).
    await waitFor('Rampart to serve', () => rampart.output().includes('"msg":"Rampart is serving"'), opts.startTimeoutMs ?? 120_000).catch((err) => {
      throw new Error(`${err.message}\n${context()}`);
    });
    return { ...rampart, context };
  }

  /** Stops processes gracefully (SIGTERM, then SIGKILL after a bound), then removes everything. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    const running = this.processes.filter((p) => p.proc.exitCode === null && p.proc.signalCode === null);
    running.forEach((p) => p.proc.kill('SIGTERM'));
    const timeout = new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref());
    await Promise.race([Promise.all(running.map((p) => p.exited)), timeout]);
    this.destroySync();
  }

  /** The forceful half of destroy(): safe from a process 'exit' hook. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const p of this.processes) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    for (const netns of [...this.created].reverse()) removeNamespace(netns);
    live.delete(this);
  }

  /** Namespaces of this lab that still exist (none after destroy()). */
  remaining(): string[] {
    const listed = new Set(listNamespaces());
    return this.created.filter((netns) => listed.has(netns));
  }

  protected assertUsable(): void {
    if (this.destroyed) throw new Error('this lab has been destroyed');
  }
}

/**
 * A throwaway underlay for overlay tests: network namespaces joined by a bridge, nothing else.
 *
 *   hub namespace:  bridge `br0`, one veth end `h<i>` per host
 *   host namespace: the other veth end `ul0` with 198.18.0.<i>/24 (the benchmarking range: this machine's own network sits in 192.0.2.0/24), and lo
 *
 * Every link is created from inside a namespace this harness made (`ip -n <ns> link add ... peer ... netns <ns>`),
 * so the machine's own interfaces, routes and firewall ruleset are never touched. Namespace names start with
 * `rp<pid>-`: a harness removes what it made in destroy(), a process-exit hook does the same if a test run dies
 * before after() runs, and a new harness removes leftovers of runs whose process is gone. Leftovers are found
 * through marker files written at creation, so a namespace this harness did not make is never removed.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'rp';
const OWN_PREFIX = `${PREFIX}${process.pid}-`;
const LEFTOVER = new RegExp(`^${PREFIX}(\\d+)-`);
const UNDERLAY = '198.18.0';
const STOP_GRACE_MS = 3_000;
/** One empty file per namespace a harness created, named after it. */
const MARKERS = join(tmpdir(), 'rampart-netns-lab');

/** Harnesses still alive in this process, destroyed on exit if a test forgot (or crashed before after()). */
const live = new Set<NetnsLab>();
process.once('exit', () => {
  for (const lab of live) lab.destroySync();
});

export interface LabHost {
  /** The name tests use ('lighthouse', 'web'). */
  name: string;
  /** The namespace's real (prefixed) name, for `ip netns exec`. */
  netns: string;
  /** Underlay IPv4 address of its `ul0` link. */
  address: string;
}

export interface ExecResult {
  status: number | null;
  stdout: string;
  stderr: string;
  output: string;
}

export interface SpawnedInNetns {
  proc: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far, interleaved. */
  output(): string;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function ip(args: string[], allowFailure = false): SpawnSyncReturns<string> {
  const result = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (!allowFailure && result.status !== 0) {
    throw new Error(`ip ${args.join(' ')} failed (${result.status}): ${result.stderr || result.error?.message}`);
  }
  return result;
}

const listNamespaces = () =>
  ip(['netns', 'list'], true).stdout.split('\n').map((line) => line.split(' ')[0]).filter(Boolean);

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Kills whatever still runs inside the namespace (a netns outlives `ip netns del` while processes hold it). */
function killAllIn(netns: string): void {
  const pids = ip(['netns', 'pids', netns], true).stdout.split('\n').map(Number).filter((pid) => pid > 0);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function removeNamespace(netns: string): void {
  if (listNamespaces().includes(netns)) {
    killAllIn(netns);
    ip(['netns', 'del', netns], true);
  }
  rmSync(join(MARKERS, netns), { force: true });
}

/** Namespaces of earlier runs whose test process died without cleaning up; live runs are left alone. */
export function removeLeftoverNamespaces(): string[] {
  mkdirSync(MARKERS, { recursive: true, mode: 0o700 });
  const stale = readdirSync(MARKERS).filter((ns) => {
    const match = LEFTOVER.exec(ns);
    return match && Number(match[1]) !== process.pid && !pidAlive(Number(match[1]));
  });
  stale.forEach(removeNamespace);
  // Their scratch directories too: they hold configs with private keys.
  for (const name of readdirSync(tmpdir())) {
    const match = /^rampart-rp(\d+)-/.exec(name);
    if (match && !pidAlive(Number(match[1]))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  return stale;
}

let labCount = 0;

export class NetnsLab {
  readonly hub: string;
  readonly hosts = new Map<string, LabHost>();
  /** Holds wrapper scripts; removed by destroy(). */
  readonly dir: string;
  private readonly namespaces: string[] = [];
  private readonly processes: SpawnedInNetns[] = [];
  private destroyed = false;

  /** Creates the hub and one namespace per host name, joined on 198.18.0.0/24 (hosts get .1, .2, ... in order). */
  static create(hostNames: string[]): NetnsLab {
    removeLeftoverNamespaces();
    const lab = new NetnsLab(`${OWN_PREFIX}${++labCount}`);
    try {
      lab.build(hostNames);
    } catch (err) {
      lab.destroySync();
      throw err;
    }
    return lab;
  }

  private constructor(private readonly id: string) {
    this.hub = `${id}-hub`;
    this.dir = mkdtempSync(join(tmpdir(), `rampart-${id}-`));
    live.add(this);
  }

  private addNamespace(netns: string): void {
    writeFileSync(join(MARKERS, netns), '');
    this.namespaces.push(netns);
    ip(['netns', 'add', netns]);
    ip(['-n', netns, 'link', 'set', 'lo', 'up']);
  }

  private build(hostNames: string[]): void {
    if (new Set(hostNames).size !== hostNames.length) throw new Error(`host names must be unique: ${hostNames.join(', ')}`);
    if (hostNames.length > 250) throw new Error('at most 250 hosts fit the underlay /24');
    this.addNamespace(this.hub);
    ip(['-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', this.hub, 'link', 'set', 'br0', 'up']);
    hostNames.forEach((name, i) => {
      const host: LabHost = { name, netns: `${this.id}-${name}`, address: `${UNDERLAY}.${i + 1}` };
      this.addNamespace(host.netns);
      // Interface names are per namespace and at most 15 characters: `h<n>` in the hub, `ul0` in the host.
      const hubEnd = `h${i + 1}`;
      ip(['-n', this.hub, 'link', 'add', hubEnd, 'type', 'veth', 'peer', 'name', 'ul0', 'netns', host.netns]);
      ip(['-n', this.hub, 'link', 'set', hubEnd, 'master', 'br0']);
      ip(['-n', this.hub, 'link', 'set', hubEnd, 'up']);
      ip(['-n', host.netns, 'addr', 'add', `${host.address}/24`, 'dev', 'ul0']);
      ip(['-n', host.netns, 'link', 'set', 'ul0', 'up']);
      this.hosts.set(name, host);
    });
  }

  host(name: string): LabHost {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no host "${name}" in this lab (${[...this.hosts.keys()].join(', ')})`);
    return host;
  }

  /** Runs a command to completion inside a host's namespace. */
  exec(hostName: string, command: string, args: string[], timeoutMs = 30_000): ExecResult {
    const result = spawnSync('ip', ['netns', 'exec', this.host(hostName).netns, command, ...args], { encoding: 'utf8', timeout: timeoutMs });
    const stdout = result.stdout ?? '';
    const stderr = `${result.stderr ?? ''}${result.error ? String(result.error) : ''}`;
    return { status: result.status, stdout, stderr, output: stdout + stderr };
  }

  /** Async variant of exec, for commands that take a while (ping) while the test process must stay responsive. */
  run(hostName: string, command: string, args: string[], timeoutMs = 30_000): Promise<ExecResult> {
    const child = this.spawn(hostName, command, args);
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs);
    return child.exited.then((status) => {
      clearTimeout(timer);
      return { status, stdout: child.stdout(), stderr: child.stderr(), output: child.output() };
    });
  }

  /** Starts a long-running process inside a host's namespace; destroy() stops it. */
  spawn(hostName: string, command: string, args: string[]): SpawnedInNetns {
    this.assertUsable();
    // `ip netns exec` execs the command, so the child's pid is the command's own.
    const proc = spawn('ip', ['netns', 'exec', this.host(hostName).netns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const text = { output: '', stdout: '', stderr: '' };
    proc.stdout!.on('data', (chunk) => ((text.output += chunk), (text.stdout += chunk)));
    proc.stderr!.on('data', (chunk) => ((text.output += chunk), (text.stderr += chunk)));
    const exited = new Promise<number | null>((resolve) => {
      proc.once('error', () => resolve(null));
      proc.once('exit', (code) => resolve(code));
    });
    const spawned = { proc, output: () => text.output, stdout: () => text.stdout, stderr: () => text.stderr, exited };
    this.processes.push(spawned);
    return spawned;
  }

  /**
   * A script that runs `program` inside the host's namespace with the arguments it is given, for software that
   * takes a program path (the overlay agent's --nebula).
   */
  wrapper(hostName: string, program: string): string {
    this.assertUsable();
    const path = join(this.dir, `${program.replace(/\W/g, '_')}-in-${hostName}`);
    writeFileSync(path, `#!/bin/sh\nexec ip netns exec '${this.host(hostName).netns}' '${program}' "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  }

  /** Stops processes gracefully (SIGTERM, then SIGKILL after a bound), then removes everything. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    const running = this.processes.filter((p) => p.proc.exitCode === null && p.proc.signalCode === null);
    for (const p of running) p.proc.kill('SIGTERM');
    const timeout = new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref());
    await Promise.race([Promise.all(running.map((p) => p.exited)), timeout]);
    this.destroySync();
  }

  /** The forceful half of destroy(): safe from a process 'exit' hook. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const p of this.processes) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    for (const netns of [...this.namespaces].reverse()) removeNamespace(netns);
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** Namespaces of this lab that still exist (empty after destroy()). */
  remainingNamespaces(): string[] {
    const mine = new Set(this.namespaces);
    return listNamespaces().filter((ns) => mine.has(ns));
  }

  private assertUsable(): void {
    if (this.destroyed) throw new Error('this lab has been destroyed');
  }
}

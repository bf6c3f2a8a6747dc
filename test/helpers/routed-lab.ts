/**
 * Three namespaces in a line, for egress tests: client ── gateway ── upstream.
 *
 *   client   c0 10.20.0.2/24, default route via 10.20.0.1
 *   gateway  g0 10.20.0.1/24, g1 198.51.100.1/24, forwards IPv4, route to 203.0.113.0/24 via the upstream
 *   upstream u0 198.51.100.2/24, the test's "internet" addresses 203.0.113.x/32 on lo, route back via the gateway
 *
 * Every link is made from inside these namespaces; the host's interfaces, routes and ruleset are never touched.
 * destroy() (and a process-exit hook) kill what runs inside and remove the namespaces.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './process.js';
import { waitFor } from './wait.js';

export const CLIENT_IP = '10.20.0.2';
export const GATEWAY_CLIENT_SIDE = '10.20.0.1';
export const GATEWAY_UPSTREAM_SIDE = '198.51.100.1';
export const UPSTREAM_IP = '198.51.100.2';

type Role = 'client' | 'gateway' | 'upstream';

export interface Spawned {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

const live = new Set<RoutedLab>();
process.once('exit', () => live.forEach((lab) => lab.destroySync()));

function ip(args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr}`);
}

let count = 0;

export class RoutedLab {
  readonly ns: Record<Role, string>;
  private readonly processes: Spawned[] = [];
  private destroyed = false;

  /** internetAddresses: 203.0.113.x addresses the upstream answers on. */
  static create(internetAddresses: string[]): RoutedLab {
    const lab = new RoutedLab();
    try {
      lab.build(internetAddresses);
    } catch (err) {
      lab.destroySync();
      throw err;
    }
    return lab;
  }

  private constructor() {
    const id = `rpe${process.pid}-${++count}`;
    this.ns = { client: `${id}-c`, gateway: `${id}-g`, upstream: `${id}-u` };
    live.add(this);
  }

  private build(internetAddresses: string[]): void {
    const { client, gateway, upstream } = this.ns;
    for (const ns of [client, gateway, upstream]) {
      ip(['netns', 'add', ns]);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    ip(['-n', gateway, 'link', 'add', 'g0', 'type', 'veth', 'peer', 'name', 'c0', 'netns', client]);
    ip(['-n', gateway, 'link', 'add', 'g1', 'type', 'veth', 'peer', 'name', 'u0', 'netns', upstream]);
    const up = (ns: string, dev: string, cidr: string) => {
      ip(['-n', ns, 'addr', 'add', cidr, 'dev', dev]);
      ip(['-n', ns, 'link', 'set', dev, 'up']);
    };
    up(client, 'c0', `${CLIENT_IP}/24`);
    up(gateway, 'g0', `${GATEWAY_CLIENT_SIDE}/24`);
    up(gateway, 'g1', `${GATEWAY_UPSTREAM_SIDE}/24`);
    up(upstream, 'u0', `${UPSTREAM_IP}/24`);
    for (const address of internetAddresses) ip(['-n', upstream, 'addr', 'add', `${address}/32`, 'dev', 'lo']);
    ip(['-n', client, 'route', 'add', 'default', 'via', GATEWAY_CLIENT_SIDE]);
    ip(['-n', gateway, 'route', 'add', '203.0.113.0/24', 'via', UPSTREAM_IP]);
    ip(['-n', upstream, 'route', 'add', '10.20.0.0/16', 'via', GATEWAY_UPSTREAM_SIDE]);
    // Per-namespace sysctls: forwarding, and short TCP teardown so conntrack ends closed flows within seconds.
    this.exec('gateway', 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    for (const key of ['tcp_timeout_time_wait', 'tcp_timeout_close', 'tcp_timeout_fin_wait', 'tcp_timeout_close_wait', 'tcp_timeout_last_ack']) {
      this.exec('gateway', 'sysctl', ['-qw', `net.netfilter.nf_conntrack_${key}=1`], true);
    }
  }

  /** Runs a command to completion in a namespace. */
  exec(role: Role, command: string, args: string[], allowFailure = false): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync('ip', ['netns', 'exec', this.ns[role], command, ...args], { encoding: 'utf8', timeout: 30_000 });
    if (!allowFailure && result.status !== 0) throw new Error(`${command} ${args.join(' ')} in ${role} failed: ${result.stderr}`);
    return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
  }

  /** Runs a command in a namespace without blocking the test's event loop. */
  async run(role: Role, command: string, args: string[], timeoutMs = 30_000): Promise<{ status: number | null; output: string }> {
    const child = this.spawn(role, command, args);
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs);
    const status = await child.exited;
    clearTimeout(timer);
    return { status, output: child.output() };
  }

  /** Starts a long-running process in a namespace; destroy() stops it. */
  spawn(role: Role, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Spawned {
    const proc = spawn('ip', ['netns', 'exec', this.ns[role], command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    proc.stdout!.on('data', (chunk) => (output += chunk));
    proc.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => {
      proc.once('error', () => resolve(null));
      proc.once('exit', (code) => resolve(code));
    });
    const spawned = { proc, output: () => output, exited };
    this.processes.push(spawned);
    return spawned;
  }

  /**
   * Rampart as the egress gateway (the real CLI, no inherited RAMPART_* settings): the data plane on, its API on a
   * unix socket the host reaches through the shared file system, its DNS proxy on the client side. Resolves once it
   * serves; `context()` is its recent output, for assertion messages.
   */
  async startGatewayRampart(opts: { dataDir: string; socket: string; nodeId: string; env?: NodeJS.ProcessEnv }): Promise<Spawned & { context(): string }> {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RAMPART_')));
    const args = ['serve', '--insecure-http', '--data-dir', opts.dataDir, '--listen', `unix:${opts.socket}`, '--metrics-listen', '127.0.0.1:0'];
    const rampart = this.spawn('gateway', process.execPath, [join(repoRoot, 'bin/rampart.js'), ...args], {
      ...inherited,
      RAMPART_LOG_FORMAT: 'json',
      RAMPART_DATAPLANE_ENABLED: 'true',
      RAMPART_EGRESS_NODE_ID: opts.nodeId,
      RAMPART_EGRESS_DNS_LISTEN: `${GATEWAY_CLIENT_SIDE}:53`,
      RAMPART_EGRESS_DNS_UPSTREAMS: `${UPSTREAM_IP}:53`,
      RAMPART_EGRESS_POLL_INTERVAL_MS: '300',
      ...opts.env,
    });
    const context = () => `--- rampart:\n${rampart.output().slice(-4000)}`;
    // A bound on a hung start, not a wait: a loaded machine can take tens of seconds.
    await waitFor('Rampart to serve', () => rampart.output().includes('"msg":"Rampart is serving"'), 120_000).catch((err) => {
      throw new Error(`${err.message}\n${context()}`);
    });
    return { ...rampart, context };
  }

  async destroy(): Promise<void> {
    const running = this.processes.filter((p) => p.proc.exitCode === null);
    running.forEach((p) => p.proc.kill('SIGTERM'));
    await Promise.race([Promise.all(running.map((p) => p.exited)), new Promise((r) => setTimeout(r, 5_000).unref())]);
    this.destroySync();
  }

  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const p of this.processes) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    for (const ns of Object.values(this.ns)) {
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split('\n').map(Number).filter((n) => n > 0) ?? [];
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      spawnSync('ip', ['netns', 'del', ns]);
    }
    live.delete(this);
  }

  /** Namespaces of this lab that still exist (none after destroy()). */
  remaining(): string[] {
    const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]);
    return Object.values(this.ns).filter((ns) => listed.includes(ns));
  }
}

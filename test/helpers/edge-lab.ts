/**
 * A small routed site for edge (AiFw) tests: a LAN with a client and a server behind an edge router running a real
 * `rampart serve` (data plane on), and a WAN with hosts.
 *
 *   lan   (client)  eth0 10.240.1.10/24, default via 10.240.1.1
 *   srv   (server)  eth0 10.240.1.20/24, default via 10.240.1.1
 *   sw    (switch)  bridge br0 joining lan, srv and the edge's LAN port
 *   edge  (router)  lan0 10.240.1.1/24, wan0 10.241.0.1/24, forwards IPv4; Rampart's API on a unix socket
 *   wan   (outside) w0 10.241.0.2/24 plus 10.241.0.3-.9 as further hosts; no route to 10.240.0.0/16, so LAN traffic
 *                   only reaches it translated (masquerade), and LAN servers only through a port forward (dnat)
 *
 * Those are the default addresses; create(addressing) puts the same topology elsewhere (the VM lab uses 10.243/16).
 *
 * Every link is created from inside these namespaces: the machine's own interfaces, routes and ruleset are never
 * touched. destroy() (and a process-exit hook, and the next lab for runs whose process died) stops what runs
 * inside and removes the namespaces. Namespace names start with `rpf<pid>-`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './process.js';
import { waitFor } from './wait.js';

export const LAN_CLIENT = '10.240.1.10';
export const LAN_SERVER = '10.240.1.20';
export const EDGE_LAN = '10.240.1.1';
export const EDGE_WAN = '10.241.0.1';
export const WAN_HOST = '10.241.0.2';
/** Further WAN hosts (addresses of the wan namespace), for aliases with several members. */
export const WAN_HOSTS = ['10.241.0.2', '10.241.0.3', '10.241.0.4', '10.241.0.5'];
export const EDGE_LAN_IF = 'lan0';

/** Where the lab's hosts sit (every network a /24); the defaults above unless a test needs its own range. */
export interface EdgeAddressing {
  lanClient: string;
  lanServer: string;
  edgeLan: string;
  edgeWan: string;
  /** The wan namespace's addresses, the first its main one. */
  wanHosts: string[];
}
export const DEFAULT_ADDRESSING: EdgeAddressing = { lanClient: LAN_CLIENT, lanServer: LAN_SERVER, edgeLan: EDGE_LAN, edgeWan: EDGE_WAN, wanHosts: WAN_HOSTS };
export const EDGE_WAN_IF = 'wan0';

export type EdgeRole = 'lan' | 'srv' | 'sw' | 'edge' | 'wan';

export interface Spawned {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export interface Answer {
  status: number;
  body: string;
  json(): any;
}

const PREFIX = 'rpf';
const MARKERS = join(tmpdir(), 'rampart-edge-lab');
const live = new Set<EdgeLab>();
process.once('exit', () => live.forEach((lab) => lab.destroySync()));

function ip(args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr}`);
}

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function removeNamespace(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split('\n').map(Number).filter((n) => n > 0) ?? [];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(join(MARKERS, ns), { force: true });
}

/** Namespaces of earlier runs whose process died before cleaning up (found through marker files it wrote). */
function removeLeftovers(): void {
  mkdirSync(MARKERS, { recursive: true, mode: 0o700 });
  for (const ns of readdirSync(MARKERS)) {
    const pid = Number(new RegExp(`^${PREFIX}(\\d+)-`).exec(ns)?.[1]);
    if (pid && pid !== process.pid && !pidAlive(pid)) removeNamespace(ns);
  }
}

let count = 0;

export class EdgeLab {
  readonly ns: Record<EdgeRole, string>;
  private readonly processes: Spawned[] = [];
  private destroyed = false;

  static create(addressing: EdgeAddressing = DEFAULT_ADDRESSING): EdgeLab {
    removeLeftovers();
    const lab = new EdgeLab(addressing);
    try {
      lab.build();
    } catch (err) {
      lab.destroySync();
      throw err;
    }
    return lab;
  }

  private constructor(readonly addr: EdgeAddressing) {
    const id = `${PREFIX}${process.pid}-${++count}`;
    this.ns = { lan: `${id}-lan`, srv: `${id}-srv`, sw: `${id}-sw`, edge: `${id}-edge`, wan: `${id}-wan` };
    live.add(this);
  }

  private build(): void {
    const { lan, srv, sw, edge, wan } = this.ns;
    for (const ns of [sw, lan, srv, edge, wan]) {
      writeFileSync(join(MARKERS, ns), '');
      ip(['netns', 'add', ns]);
      ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', sw, 'link', 'set', 'br0', 'up']);
    for (const [port, ns, dev] of [['p-lan', lan, 'eth0'], ['p-srv', srv, 'eth0'], ['p-edge', edge, 'lan0']] as const) {
      ip(['-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', dev, 'netns', ns]);
      ip(['-n', sw, 'link', 'set', port, 'master', 'br0']);
      ip(['-n', sw, 'link', 'set', port, 'up']);
    }
    ip(['-n', edge, 'link', 'add', 'wan0', 'type', 'veth', 'peer', 'name', 'w0', 'netns', wan]);
    const up = (ns: string, dev: string, cidrs: string[]) => {
      for (const cidr of cidrs) ip(['-n', ns, 'addr', 'add', cidr, 'dev', dev]);
      ip(['-n', ns, 'link', 'set', dev, 'up']);
    };
    const { lanClient, lanServer, edgeLan, edgeWan, wanHosts } = this.addr;
    up(lan, 'eth0', [`${lanClient}/24`]);
    up(srv, 'eth0', [`${lanServer}/24`]);
    up(edge, 'lan0', [`${edgeLan}/24`]);
    up(edge, 'wan0', [`${edgeWan}/24`]);
    up(wan, 'w0', wanHosts.map((a) => `${a}/24`));
    ip(['-n', lan, 'route', 'add', 'default', 'via', edgeLan]);
    ip(['-n', srv, 'route', 'add', 'default', 'via', edgeLan]);
    this.exec('edge', 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    // Short TCP teardown, so closed test connections leave conntrack within a second or two.
    for (const key of ['tcp_timeout_time_wait', 'tcp_timeout_close', 'tcp_timeout_fin_wait', 'tcp_timeout_close_wait', 'tcp_timeout_last_ack']) {
      this.exec('edge', 'sysctl', ['-qw', `net.netfilter.nf_conntrack_${key}=1`], true);
    }
  }

  /** Runs a command to completion in a namespace. */
  exec(role: EdgeRole, command: string, args: string[], allowFailure = false): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync('ip', ['netns', 'exec', this.ns[role], command, ...args], { encoding: 'utf8', timeout: 30_000 });
    if (!allowFailure && result.status !== 0) throw new Error(`${command} ${args.join(' ')} in ${role} failed: ${result.stderr}`);
    return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
  }

  /** Runs a command in a namespace without blocking the test's event loop. */
  async run(role: EdgeRole, command: string, args: string[], timeoutMs = 30_000): Promise<{ status: number | null; output: string }> {
    const child = this.spawn(role, command, args);
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs);
    const status = await child.exited;
    clearTimeout(timer);
    return { status, output: child.output() };
  }

  /** Starts a long-running process in a namespace; destroy() stops it. */
  spawn(role: EdgeRole, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Spawned {
    if (this.destroyed) throw new Error('this lab has been destroyed');
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
   * An HTTP server in a namespace answering `hello from <local address> to <client address>`, so a test sees both
   * which server answered and the source address it saw (translated or not). Resolves once it listens.
   */
  async serveHttp(role: EdgeRole, address: string, port: number): Promise<Spawned> {
    const script = `require('node:http').createServer((req, res) => res.end('hello from ' + req.socket.localAddress + ' to ' + req.socket.remoteAddress + '\\n'))
      .listen(Number(process.argv[2]), process.argv[1], () => console.log('listening'));`;
    const server = this.spawn(role, process.execPath, ['-e', script, address, String(port)]);
    await waitFor(`an HTTP server on ${address}:${port} in ${role}`, () => server.output().includes('listening'), 30_000);
    return server;
  }

  /**
   * One HTTP GET from a namespace (curl, 2 s to connect): the answer's text, or null when the connection failed
   * (dropped, refused, unreachable). `source` picks the client address among the namespace's own.
   */
  async httpGet(role: EdgeRole, address: string, port: number, source?: string): Promise<string | null> {
    const args = ['-s', '--connect-timeout', '2', '--max-time', '4', ...(source ? ['--interface', source] : []), `http://${address}:${port}/`];
    const { status, output } = await this.run(role, 'curl', args);
    return status === 0 ? output.trim() : null;
  }

  /**
   * The edge's Rampart: the real CLI (no inherited RAMPART_* settings), data plane on, SQLite in dataDir, its API on
   * a unix socket the host reaches through the shared file system. Resolves once it serves.
   */
  async startRampart(opts: { dataDir: string; socket: string; env?: NodeJS.ProcessEnv; startTimeoutMs?: number }): Promise<Spawned & { context(): string }> {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RAMPART_')));
    const args = ['serve', '--insecure-http', '--data-dir', opts.dataDir, '--listen', `unix:${opts.socket}`, '--metrics-listen', '127.0.0.1:0'];
    const rampart = this.spawn('edge', process.execPath, [join(repoRoot, 'bin/rampart.js'), ...args], {
      ...inherited,
      RAMPART_LOG_FORMAT: 'json',
      RAMPART_DATAPLANE_ENABLED: 'true',
      RAMPART_AUTH_ARGON2_MAX_WAIT_MS: '60000',
      // The egress proxy's DNS listener must not take the edge's port 53 on every address.
      RAMPART_EGRESS_DNS_LISTEN: '127.0.0.1:5399',
      ...opts.env,
    });
    const context = () => `--- rampart:\n${rampart.output().slice(-4000)}`;
    // A bound on a hung start, not a wait: a loaded machine can take tens of seconds (an emulated VM, minutes).
    await waitFor('Rampart to serve', () => rampart.output().includes('"msg":"Rampart is serving"'), opts.startTimeoutMs ?? 120_000).catch((err) => {
      throw new Error(`${err.message}\n${context()}`);
    });
    return { ...rampart, context };
  }

  /** The edge's ruleset, as `nft list ruleset` prints it in its namespace (for assertion messages). */
  ruleset(): string {
    return this.exec('edge', 'nft', ['list', 'ruleset'], true).stdout;
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
    for (const ns of Object.values(this.ns).reverse()) removeNamespace(ns);
    live.delete(this);
  }

  /** Namespaces of this lab that still exist (none after destroy()). */
  remaining(): string[] {
    const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]);
    return Object.values(this.ns).filter((ns) => listed.includes(ns));
  }
}

/** Calls Rampart's API over its unix socket. */
export function socketCall(socket: string, method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: socket,
        path,
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk)).on('end', () => resolve({ status: res.statusCode!, body: text, json: () => JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Signs in as the initial admin of a Rampart whose data dir is dataDir; returns a caller bound to its token. */
export async function adminApi(socket: string, dataDir: string): Promise<(method: string, path: string, body?: unknown) => Promise<Answer>> {
  const password = readFileSync(join(dataDir, 'initial-admin-password'), 'utf8').split('\n')[0].trim();
  const login = await socketCall(socket, 'POST', '/api/v1/auth/login', undefined, { username: 'admin', password });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.body}`);
  const token = login.json().access_token as string;
  return (method, path, body) => socketCall(socket, method, path, token, body);
}

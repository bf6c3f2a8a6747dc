/**
 * The access (ZTNA) lab: namespaces on 10.231.0.0/16 only, for the WireGuard tunnel, the gateway's enforcement
 * and the agents end to end.
 *
 *   hub       bridge br0 joining the underlay 10.231.1.0/24
 *   cp        10.231.1.1   the control plane's address: a relay to a Rampart listening on a unix socket (sockets
 *                          in the file system cross namespaces), so the test drives the same server from the host
 *   gateway   10.231.1.2   + rs0 10.231.2.1/24 towards the resource; forwards IPv4
 *   resource  10.231.2.2   HTTP on 8080 and 8081 (each answers "port <n>"); routes the overlay back via the gateway
 *   deviceA   10.231.1.11  underlay only: the resource is reachable through the tunnel or not at all
 *   deviceB   10.231.1.12
 *
 * Device overlay addresses come from OVERLAY_CIDR. Namespace names start with `rwg<pid>-`; how they are made, joined
 * and removed: lab-base.ts. WireGuard interface names are unique on the machine (wireguard-go's control sockets live in the shared /var/run/wireguard).
 */
import { rmSync } from 'node:fs';
import { netnsRunner, type CommandRunner } from '../../src/agent/access/exec.js';
import { NamespaceLab } from './lab-base.js';
import { waitFor } from './wait.js';

export type { Spawned } from './lab-base.js';

export const CP_IP = '10.231.1.1';
export const GATEWAY_IP = '10.231.1.2';
export const GATEWAY_RESOURCE_SIDE = '10.231.2.1';
export const RESOURCE_IP = '10.231.2.2';
export const RESOURCE_CIDR = '10.231.2.0/24';
export const OVERLAY_CIDR = '10.231.64.0/18';
export const DEVICE_IPS = { deviceA: '10.231.1.11', deviceB: '10.231.1.12' } as const;
export const RESOURCE_PORTS = [8080, 8081] as const;

export type Role = 'cp' | 'gateway' | 'resource' | 'deviceA' | 'deviceB';
const ROLES: Role[] = ['cp', 'gateway', 'resource', 'deviceA', 'deviceB'];
const SHORT: Record<Role, string> = { cp: 'c', gateway: 'g', resource: 'r', deviceA: 'a', deviceB: 'b' };
const UNDERLAY: Partial<Record<Role, string>> = { cp: CP_IP, gateway: GATEWAY_IP, ...DEVICE_IPS };

export class WgLab extends NamespaceLab<Role | 'hub'> {
  static create(): WgLab {
    return new WgLab().open();
  }

  private constructor() {
    super('rwg', { hub: 'hub', ...SHORT });
  }

  protected build(): void {
    this.bridge('hub');
    Object.entries(UNDERLAY).forEach(([role, address], i) => {
      this.bridgePort('hub', `h${i}`, role as Role, 'ul0');
      this.addresses(role as Role, 'ul0', [`${address}/24`]);
    });
    this.veth('gateway', 'rs0', 'resource', 'gw0');
    this.addresses('gateway', 'rs0', [`${GATEWAY_RESOURCE_SIDE}/24`]);
    this.addresses('resource', 'gw0', [`${RESOURCE_IP}/24`]);
    this.route('resource', OVERLAY_CIDR, GATEWAY_RESOURCE_SIDE);
    this.forwardIpv4('gateway');
  }

  /** A WireGuard interface name for a role, unique on the machine (at most 15 characters). */
  ifname(role: Role): string {
    return `rw${process.pid.toString(36)}${this.seq.toString(36)}${SHORT[role]}`.slice(-15);
  }

  runner(role: Role): CommandRunner {
    return netnsRunner(this.ns[role]);
  }

  /** The resource's HTTP listeners: each port answers "port <n>". Resolves once both listen. */
  async startResource(): Promise<void> {
    const script = `const http = require('node:http');
for (const port of process.argv.slice(1).map(Number)) http.createServer((req, res) => res.end('port ' + port)).listen(port, '${RESOURCE_IP}', () => console.log('listening ' + port));`;
    const server = this.spawn('resource', process.execPath, ['-e', script, ...RESOURCE_PORTS.map(String)]);
    await waitFor('the resource to listen', () => RESOURCE_PORTS.every((p) => server.output().includes(`listening ${p}`)), 30_000);
  }

  /** Makes a unix-socket server reachable in the lab at http://10.231.1.1:<port>. */
  async relayControlPlane(socket: string, port = 8000): Promise<string> {
    const script = `const net = require('node:net'); const [socket, host, port] = process.argv.slice(1);
net.createServer((c) => { const u = net.connect(socket); c.pipe(u).pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); })
  .listen(Number(port), host, () => console.log('relay listening'));`;
    const relay = this.spawn('cp', process.execPath, ['-e', script, socket, CP_IP, String(port)]);
    await waitFor('the control-plane relay to listen', () => relay.output().includes('relay listening'), 30_000);
    return `http://${CP_IP}:${port}`;
  }

  /** What a device gets from the resource's port: its answer, or undefined when nothing came back in time. */
  async fetchFrom(role: Role, port: number, timeoutS = 2): Promise<string | undefined> {
    const child = this.spawn(role, 'curl', ['-s', '--max-time', String(timeoutS), `http://${RESOURCE_IP}:${port}/`]);
    const status = await child.exited;
    return status === 0 ? child.output() : undefined;
  }

  /** Whether a device reaches a resource port (its answer names the port). */
  async reaches(role: Role, port: number, timeoutS = 2): Promise<boolean> {
    return (await this.fetchFrom(role, port, timeoutS)) === `port ${port}`;
  }

  /**
   * A TCP prober in a device namespace: a connection attempt to the resource port every 20 ms (timeout 150 ms),
   * each logged with the time it started. For when access stopped, to the millisecond of the attempt.
   */
  startProber(role: Role, port: number): Prober {
    const script = `const net = require('node:net'); const [host, port] = process.argv.slice(1);
const attempt = () => { const start = Date.now(); let done = false;
  const s = net.connect({ host, port: Number(port), timeout: 150 });
  const end = (ok) => { if (done) return; done = true; s.destroy(); console.log(start + ' ' + (ok ? 'ok' : 'fail')); setTimeout(attempt, 20); };
  s.once('connect', () => end(true)); s.once('timeout', () => end(false)); s.once('error', () => end(false)); };
attempt();`;
    const child = this.spawn(role, process.execPath, ['-e', script, RESOURCE_IP, String(port)]);
    const attempts = () =>
      child.output().split('\n').filter(Boolean).map((line) => line.split(' ')).filter((p) => p.length === 2).map(([t, r]) => ({ at: Number(t), ok: r === 'ok' }));
    return {
      attempts,
      firstFailureSince(since) {
        return attempts().find((a) => a.at >= since && !a.ok)?.at;
      },
      lastSuccessSince(since) {
        return attempts().filter((a) => a.at >= since && a.ok).at(-1)?.at;
      },
      cutSince(since, run = 5) {
        const after = attempts().filter((a) => a.at >= since);
        const lastOk = after.map((a) => a.ok).lastIndexOf(true);
        const failures = after.slice(lastOk + 1);
        return failures.length >= run ? failures[0].at : undefined;
      },
      stop: () => void child.proc.kill('SIGKILL'),
    };
  }

  override destroySync(): void {
    super.destroySync();
    // wireguard-go's control sockets outlive a SIGKILLed daemon.
    for (const role of ROLES) rmSync(`/var/run/wireguard/${this.ifname(role)}.sock`, { force: true });
  }
}

export interface Prober {
  attempts(): { at: number; ok: boolean }[];
  /** Start time of the first failed attempt started at or after `since` (ms since the epoch). */
  firstFailureSince(since: number): number | undefined;
  lastSuccessSince(since: number): number | undefined;
  /**
   * When access stopped for good: the start of the first failed attempt after the last success since `since`,
   * once `run` attempts in a row have failed (a single slow connect on a loaded machine is not a cut).
   */
  cutSince(since: number, run?: number): number | undefined;
  stop(): void;
}

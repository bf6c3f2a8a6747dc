/**
 * One WireGuard interface run by Debian's wireguard-go (this kernel has no WireGuard module), configured with
 * `wg set` and `ip`. wireguard-go runs in the foreground as our child, so the interface lives exactly as long as
 * the agent: stopping the agent removes it. Its control socket is /var/run/wireguard/<ifname>.sock, shared by
 * every network namespace, so interface names must be unique on the machine, not just in the namespace.
 */
import type { ChildProcess } from 'node:child_process';
import { must, type CommandRunner } from './exec.js';
import type { AgentLog } from '../overlay/log.js';

export interface WireguardPeer {
  public_key: string;
  allowed_ips: string[];
  /** host:port, for the side that dials (the device). */
  endpoint?: string;
  keepalive_s?: number;
}

export interface PeerStatus {
  public_key: string;
  endpoint: string | null;
  allowed_ips: string[];
  latest_handshake: number;
  rx_bytes: number;
  tx_bytes: number;
}

export interface WireguardOptions {
  runner: CommandRunner;
  ifname: string;
  /** A 0600 file holding the base64 private key (in the agent's state dir: the key is never written elsewhere). */
  privateKeyFile: string;
  listenPort?: number;
  wireguardGo?: string;
  log: AgentLog;
}

const START_DEADLINE_MS = 10_000;
const STOP_GRACE_MS = 3_000;

export function checkInterfaceName(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw new Error(`--interface must be 1-15 letters, digits, "_", "." or "-", got "${name}"`);
  return name;
}

export class WireguardInterface {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(private readonly options: WireguardOptions) {
    checkInterfaceName(options.ifname);
  }

  get ifname(): string {
    return this.options.ifname;
  }

  private wg(args: string[], input?: string) {
    return must(this.options.runner, 'wg', args, input);
  }

  private ip(args: string[]) {
    return must(this.options.runner, 'ip', args);
  }

  /** Starts wireguard-go, sets the key and port, brings the link up. */
  async up(): Promise<void> {
    const { runner, ifname, wireguardGo = 'wireguard-go' } = this.options;
    // An interface of this name now is a leftover of an agent that died (ours end with their wireguard-go).
    if ((await runner.run('ip', ['link', 'show', ifname])).status === 0) {
      this.options.log(`removing a leftover interface ${ifname}`);
      await runner.run('ip', ['link', 'del', ifname]);
    }
    const child = runner.spawn(wireguardGo, ['-f', ifname], { ...process.env, WG_PROCESS_FOREGROUND: '1', LOG_LEVEL: 'error' });
    this.child = child;
    child.stdout?.on('data', (chunk) => (this.output = (this.output + chunk).slice(-4000)));
    child.stderr?.on('data', (chunk) => (this.output = (this.output + chunk).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + START_DEADLINE_MS;
    // The interface exists once wireguard-go answers on its socket; poll for it (a loaded machine takes a while).
    while ((await runner.run('wg', ['show', ifname, 'public-key'])).status !== 0) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`wireguard-go did not bring up ${ifname}: ${this.output.trim() || `exit ${child.exitCode}`}`);
      }
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
    child.once('exit', (code, signal) => {
      if (this.child === child) this.options.log(`wireguard-go for ${ifname} exited (${signal ?? code}): ${this.output.trim()}`);
    });
    // A path, not the key: it stays out of process lists.
    await this.wg(['set', ifname, 'private-key', this.options.privateKeyFile]);
    if (this.options.listenPort !== undefined) await this.wg(['set', ifname, 'listen-port', String(this.options.listenPort)]);
    await this.ip(['link', 'set', ifname, 'up']);
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async addAddress(cidr: string): Promise<void> {
    const result = await this.options.runner.run('ip', ['addr', 'replace', cidr, 'dev', this.ifname]);
    if (result.status !== 0) throw new Error(`ip addr replace ${cidr} dev ${this.ifname}: ${result.stderr.trim()}`);
  }

  async replaceRoute(cidr: string): Promise<void> {
    await this.ip(['route', 'replace', cidr, 'dev', this.ifname]);
  }

  async setPeer(peer: WireguardPeer): Promise<void> {
    const args = ['set', this.ifname, 'peer', peer.public_key, 'allowed-ips', peer.allowed_ips.join(',')];
    if (peer.endpoint) args.push('endpoint', peer.endpoint);
    if (peer.keepalive_s) args.push('persistent-keepalive', String(peer.keepalive_s));
    await this.wg(args);
  }

  async removePeer(publicKey: string): Promise<void> {
    await this.wg(['set', this.ifname, 'peer', publicKey, 'remove']);
  }

  /** The peers as wireguard-go knows them (`wg show dump`). */
  async peers(): Promise<PeerStatus[]> {
    const lines = (await this.wg(['show', this.ifname, 'dump'])).trim().split('\n').slice(1).filter(Boolean);
    return lines.map((line) => {
      const [public_key, , endpoint, allowed, handshake, rx, tx] = line.split('\t');
      return {
        public_key,
        endpoint: endpoint === '(none)' ? null : endpoint,
        allowed_ips: allowed === '(none)' ? [] : allowed.split(','),
        latest_handshake: Number(handshake),
        rx_bytes: Number(rx),
        tx_bytes: Number(tx),
      };
    });
  }

  /** Stops wireguard-go (the interface goes with it). Idempotent. */
  async down(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}

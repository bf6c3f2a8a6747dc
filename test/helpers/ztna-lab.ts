/**
 * The whole access data path for the e2e test and the revocation bench, on the WireGuard lab (wg-lab.ts):
 * Rampart itself (the real CLI, SQLite in a scratch data dir) listens on a unix socket the test drives and the lab
 * relays to 10.231.1.1; `rampart agent gateway` runs in the gateway namespace, `rampart agent device` in the
 * device namespaces, all through bin/rampart.js as an operator runs them. destroy() stops everything and removes
 * the namespaces and the scratch directory (a process-exit hook does the same when a test dies first).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, spawnRampart, type SpawnedRampart } from './process.js';
import { adminToken, socketCall, withoutRampartEnv, type Answer } from './socket-api.js';
import { waitFor } from './wait.js';
import { GATEWAY_IP, OVERLAY_CIDR, RESOURCE_CIDR, WgLab, type Role, type Spawned } from './wg-lab.js';

export const WG_PORT = 51820;
export const PROGRAMS = ['ip', 'wireguard-go', 'wg', 'nft', 'conntrack', 'curl'];

export type { Answer } from './socket-api.js';

export interface RunningDevice {
  role: Role;
  stateDir: string;
  postureFile: string;
  device_id: string;
  agent: Spawned;
  setPosture(facts: Record<string, unknown>): void;
  stop(): Promise<void>;
}

export class ZtnaLab {
  readonly lab: WgLab;
  readonly dir: string;
  private server: SpawnedRampart | undefined;
  private token = '';
  url = '';
  gateway: Spawned | undefined;
  gatewayId = '';
  poolId = '';
  private readonly socket: string;

  static async start(opts: { gatewayPollS?: number; gatewayArgs?: string[] } = {}): Promise<ZtnaLab> {
    const z = new ZtnaLab();
    try {
      await z.startControlPlane();
      await z.lab.startResource();
      z.url = await z.lab.relayControlPlane(z.socket);
      await z.startGateway(opts.gatewayPollS ?? 2, opts.gatewayArgs ?? []);
    } catch (err) {
      await z.destroy();
      throw err;
    }
    return z;
  }

  private constructor() {
    this.lab = WgLab.create();
    this.dir = mkdtempSync(join(tmpdir(), 'rampart-ztna-'));
    this.socket = join(this.dir, 'rampart.sock');
  }

  private async startControlPlane(): Promise<void> {
    const dataDir = join(this.dir, 'server');
    mkdirSync(dataDir);
    this.server = await spawnRampart(
      ['serve', '--insecure-http', '--data-dir', dataDir, '--listen', `unix:${this.socket}`, '--metrics-listen', '127.0.0.1:0'],
      withoutRampartEnv({ RAMPART_LOG_FORMAT: 'json', RAMPART_ACCESS_OVERLAY_CIDR: OVERLAY_CIDR }),
    );
    const server = this.server;
    process.once('exit', () => server.proc.exitCode === null && server.proc.kill('SIGKILL'));
    this.token = await adminToken(this.socket, dataDir);
  }

  /** One request to the control plane as the administrator (or anonymously). */
  call(method: string, path: string, body?: unknown, asAdmin = true): Promise<Answer> {
    return socketCall(this.socket, method, path, asAdmin ? this.token : undefined, body);
  }

  /** call() that insists on a 2xx and returns the JSON. */
  async api(method: string, path: string, body?: unknown): Promise<any> {
    const res = await this.call(method, path, body);
    if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${res.body}`);
    return res.body ? res.json() : undefined;
  }

  /** `rampart <args>` in a namespace, to completion; fails with its output unless it exits 0. */
  async rampartIn(role: Role, args: string[]): Promise<string> {
    const child = this.lab.spawn(role, process.execPath, [join(repoRoot, 'bin/rampart.js'), ...args], withoutRampartEnv());
    const code = await child.exited;
    if (code !== 0) throw new Error(`rampart ${args.slice(0, 3).join(' ')} in ${role} exited ${code}:\n${child.output()}`);
    return child.output();
  }

  private async startGateway(pollS: number, extraArgs: string[]): Promise<void> {
    const pool = await this.api('POST', '/v1/admin/settings/gateway-pools', { name: 'lab', region: 'lab-1', destinations: [RESOURCE_CIDR] });
    this.poolId = pool.id;
    const token = await this.api('POST', '/v1/admin/tokens/generate', { kind: 'gateway', pool_id: pool.id, name: 'lab gateway' });
    const stateDir = join(this.dir, 'gateway');
    await this.rampartIn('gateway', ['agent', 'gateway', 'enroll', '--server', this.url, '--token', token.secret, '--endpoint', `${GATEWAY_IP}:${WG_PORT}`, '--name', 'gw-lab', '--state-dir', stateDir]);
    this.gatewayId = JSON.parse(readFileSync(join(stateDir, 'gateway.json'), 'utf8')).gateway_id;
    this.gateway = this.lab.spawn('gateway', process.execPath, [
      join(repoRoot, 'bin/rampart.js'), 'agent', 'gateway', 'run', '--state-dir', stateDir, '--interface', this.lab.ifname('gateway'),
      '--listen-port', String(WG_PORT), '--poll-interval', String(pollS), '--heartbeat-interval', '2', '--metering-interval', '5', ...extraArgs,
    ], withoutRampartEnv());
    await waitFor('the gateway to be ready', () => this.gateway!.output().includes(' ready: WireGuard') || this.gateway!.proc.exitCode !== null, 60_000);
    if (this.gateway.proc.exitCode !== null) throw new Error(`the gateway agent exited:\n${this.gateway.output()}`);
    await waitFor('the gateway to be listed online', async () => {
      const health = await this.api('GET', '/v1/admin/gateway/health');
      return health.gateways.some((g: any) => g.id === this.gatewayId && g.status === 'online');
    }, 30_000, 200);
  }

  /** Enrolls a device in a namespace with a fresh token (these options) and starts its agent. */
  async startDevice(role: Role, name: string, tokenOptions: Record<string, unknown>, posture: Record<string, unknown> = { firewall_on: true }): Promise<RunningDevice> {
    const token = await this.api('POST', '/v1/admin/tokens/generate', { kind: 'device', name, ...tokenOptions });
    const stateDir = join(this.dir, `device-${name}`);
    await this.rampartIn(role, ['agent', 'device', 'enroll', '--server', this.url, '--token', token.secret, '--name', name, '--state-dir', stateDir]);
    return this.runDevice(role, stateDir, posture);
  }

  /** Starts the device agent on an enrolled state dir. */
  runDevice(role: Role, stateDir: string, posture: Record<string, unknown> = { firewall_on: true }): RunningDevice {
    const device_id = JSON.parse(readFileSync(join(stateDir, 'device.json'), 'utf8')).device_id;
    const postureFile = join(stateDir, 'posture.json');
    const setPosture = (facts: Record<string, unknown>) => writeFileSync(postureFile, JSON.stringify(facts));
    setPosture(posture);
    const agent = this.lab.spawn(role, process.execPath, [
      join(repoRoot, 'bin/rampart.js'), 'agent', 'device', 'run', '--state-dir', stateDir, '--interface', this.lab.ifname(role),
      '--posture-interval', '1', '--policy-interval', '1', '--telemetry-interval', '5', '--posture-file', postureFile,
    ], withoutRampartEnv());
    return {
      role, stateDir, postureFile, device_id, agent, setPosture,
      async stop() {
        if (agent.proc.exitCode === null && agent.proc.signalCode === null) agent.proc.kill('SIGTERM');
        await agent.exited;
      },
    };
  }

  /** The agents' recent output, for assertion messages. */
  context(...devices: RunningDevice[]): string {
    return [`--- gateway:\n${this.gateway?.output().slice(-3000) ?? ''}`, ...devices.map((d) => `--- ${d.role}:\n${d.agent.output().slice(-3000)}`)].join('\n');
  }

  async destroy(): Promise<void> {
    await this.lab.destroy();
    await this.server?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}


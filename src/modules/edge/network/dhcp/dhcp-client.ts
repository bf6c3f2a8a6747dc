/**
 * DHCP clients for the interfaces in `ipv4_mode: dhcp` (docs/edge.md, "DHCP client"): one busybox `udhcpc` per
 * interface, run in the foreground as Rampart's own child (no systemd, no daemon of its own, so it works inside a
 * network namespace), with Rampart's event script (udhcpc-event.sh) applying the lease with iproute2.
 *
 * Stopping one (the interface leaves dhcp mode) sends SIGTERM: udhcpc runs with -R, so it releases its lease first.
 * Shutting down (Rampart stopping) kills them without a release, so a restart of Rampart does not cut the WAN: the
 * address lives out its lease and the next start runs the client again. A pid file per interface lets a client
 * orphaned by a crash be stopped before a new one starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { errors } from '../../../../core/errors.js';
import type { Logger } from '../../../../core/logger.js';
import { installRoot } from '../../../../install-root.js';

export const DHCP_EVENT_SCRIPT = join(installRoot, 'src/modules/edge/network/dhcp/udhcpc-event.sh');

export type DhcpSpawn = (cmd: string, args: string[], env: NodeJS.ProcessEnv) => ChildProcess;
export const hostDhcpSpawn: DhcpSpawn = (cmd, args, env) => spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });

export interface DhcpLease {
  interface: string;
  address: string;
  router: string | null;
  lease_secs: number | null;
  obtained_at: string;
}

export interface DhcpWanted {
  /** Whether the offered router becomes the default route (no static gateway configured). */
  route: boolean;
}

interface Client {
  proc: ChildProcess;
  wanted: DhcpWanted;
  exited: Promise<void>;
  stopping: boolean;
}

/** udhcpc on this box: Debian's udhcpc package, or the applet of busybox (busybox or busybox-static). */
export function findUdhcpc(exists: (path: string) => boolean = existsSync): string[] | null {
  for (const path of ['/usr/sbin/udhcpc', '/sbin/udhcpc']) if (exists(path)) return [path];
  for (const path of ['/usr/bin/busybox', '/bin/busybox']) if (exists(path)) return [path, 'udhcpc'];
  return null;
}

const RESTART_MS = 2_000;
const STOP_GRACE_MS = 5_000;

export function createDhcpClients(opts: { logger: Logger; pidDir: string; spawn?: DhcpSpawn; program?: () => string[] | null }) {
  const clients = new Map<string, Client>();
  const leases = new Map<string, DhcpLease>();
  const program = opts.program ?? (() => findUdhcpc());
  const spawnFn = () => opts.spawn ?? hostDhcpSpawn;
  const pidFile = (name: string) => join(opts.pidDir, `${name}.pid`);

  /** A client left by a Rampart that died without stopping it: its pid file names it. */
  function stopOrphan(name: string) {
    let pid: number;
    try {
      pid = Number(readFileSync(pidFile(name), 'utf8').trim());
    } catch {
      return;
    }
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      // Only a udhcpc serving this very interface: a reused pid is left alone.
      if (cmdline.some((a) => a.endsWith('udhcpc')) && cmdline.includes(name)) process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
    rmSync(pidFile(name), { force: true });
  }

  function onLine(name: string, line: string) {
    const m = /^rampart-lease (\{.*\})$/.exec(line.trim());
    if (!m) return void opts.logger.debug({ interface: name, line }, 'dhcp client');
    try {
      const e = JSON.parse(m[1]!) as { event: string; address: string; router: string; lease_secs: string };
      const lease = { interface: name, address: e.address, router: e.router || null, lease_secs: Number(e.lease_secs) || null, obtained_at: new Date().toISOString() };
      leases.set(name, lease);
      opts.logger.info({ ...lease, event: e.event }, 'dhcp lease');
    } catch {
      opts.logger.warn({ interface: name, line }, 'dhcp client: unreadable lease line');
    }
  }

  function start(name: string, wanted: DhcpWanted) {
    const cmd = program();
    if (!cmd) throw errors.validation("ipv4_mode dhcp needs a DHCP client on this box: install Debian's busybox (or udhcpc)");
    mkdirSync(opts.pidDir, { recursive: true, mode: 0o700 });
    stopOrphan(name);
    // -f foreground, -R release on SIGTERM, -t/-T/-A: 5 discovers 2 s apart, then again after 5 s, for ever.
    const args = [...cmd.slice(1), '-f', '-R', '-i', name, '-s', DHCP_EVENT_SCRIPT, '-p', pidFile(name), '-t', '5', '-T', '2', '-A', '5'];
    const proc = spawnFn()(cmd[0]!, args, { ...process.env, RAMPART_DHCP_ROUTE: wanted.route ? '1' : '0' });
    let tail = '';
    proc.stderr?.on('data', (d) => void (tail = (tail + String(d)).slice(-2000)));
    if (proc.stdout) createInterface({ input: proc.stdout }).on('line', (line) => onLine(name, line));
    const client: Client = { proc, wanted, stopping: false, exited: Promise.resolve() };
    client.exited = new Promise<void>((resolve) => {
      proc.once('error', (err) => {
        opts.logger.error({ err, interface: name }, 'dhcp client did not start');
        if (clients.get(name) === client) clients.delete(name);
        resolve();
      });
      proc.once('exit', (code, signal) => {
        resolve();
        if (clients.get(name) !== client || client.stopping) return;
        // It died on its own (the interface vanished, say): run it again while the interface still wants it.
        opts.logger.warn({ interface: name, code, signal, stderr: tail.trim() }, 'dhcp client exited; restarting');
        clients.delete(name);
        setTimeout(() => {
          if (!clients.has(name) && !shut) restart(name, wanted);
        }, RESTART_MS).unref();
      });
    });
    clients.set(name, client);
  }

  async function halt(name: string, signal: 'SIGTERM' | 'SIGKILL') {
    const client = clients.get(name);
    if (!client) return;
    client.stopping = true;
    clients.delete(name);
    leases.delete(name);
    if (client.proc.exitCode === null && client.proc.signalCode === null) {
      client.proc.kill(signal);
      const timer = setTimeout(() => client.proc.kill('SIGKILL'), STOP_GRACE_MS);
      await client.exited;
      clearTimeout(timer);
    }
    rmSync(pidFile(name), { force: true });
  }

  let shut = false;
  /** Runs a client on the interface unless one runs with the same wishes (a changed one is restarted). */
  function ensure(name: string, wanted: DhcpWanted) {
    if (shut) return;
    const running = clients.get(name);
    if (running && running.wanted.route === wanted.route) return;
    if (running) {
      void halt(name, 'SIGKILL').then(() => restart(name, wanted));
      return;
    }
    start(name, wanted);
  }
  /** A start nobody awaits (a timer, a changed wish): a failure is logged, never thrown into the process. */
  function restart(name: string, wanted: DhcpWanted) {
    try {
      if (!shut) start(name, wanted);
    } catch (err) {
      opts.logger.error({ err, interface: name }, 'dhcp client did not start');
    }
  }

  return {
    /** Whether this box has a DHCP client to run. */
    available: () => program() !== null,
    ensure,
    /** Stops the interface's client, releasing its lease (the interface leaves dhcp mode). */
    stop: (name: string) => halt(name, 'SIGTERM'),
    /** Makes the running clients exactly these: starts the missing, stops (with release) the others. */
    async reconcile(wanted: Map<string, DhcpWanted>) {
      for (const name of [...clients.keys()]) if (!wanted.has(name)) await halt(name, 'SIGTERM');
      for (const [name, w] of wanted) ensure(name, w);
    },
    /** Rampart stopping: every client ends, no lease is released (see the header). */
    async shutdown() {
      shut = true;
      await Promise.all([...clients.keys()].map((name) => halt(name, 'SIGKILL')));
    },
    running: () => [...clients.keys()],
    lease: (name: string) => leases.get(name) ?? null,
  };
}

export type DhcpClients = ReturnType<typeof createDhcpClients>;

/**
 * Managed hosts for fleet tests: each host is a network namespace running Debian's sshd inside its own mount and
 * UTS namespace, where /etc is an overlay over the machine's /etc and /home, /root, /run, /tmp and /var/log are
 * private tmpfs. A file changed on one host (a user added, sshd_config edited) is seen by no other host and not by
 * the machine.
 *
 *   client namespace  rfs-<pid>-<n>-c: bridge br0 10.213.1.1/24, one veth end per host, and the dialer
 *   host namespace    rfs-<pid>-<n>-<i>: eth0 10.213.1.<10+i>/24, sshd on port 22
 *
 * The test process stays in the machine's namespaces and never touches its routes: it reaches a host through
 * `lab.dial`, which asks a small forwarder running in the client namespace (over a unix socket, which network
 * namespaces do not separate) to open the TCP connection, so a refused or unroutable connection fails with the
 * real socket error. Pass it to createSshConnector({dial}).
 *
 * close() (and a process-exit hook, and the next lab in a later run) kills what runs inside, which removes the
 * mounts with their namespaces, and deletes the namespaces and scratch files.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Dial } from '../../src/modules/fleet/ssh/ssh.connector.js';
import type { SshSecret, SshTarget } from '../../src/modules/fleet/ssh/ssh.types.js';
import { e2eRequired, findProgram } from './e2e.js';
import { waitFor } from './wait.js';

const SUBNET = '10.213.1';
const PREFIX = 'rfs-';
const OWN_PREFIX = `${PREFIX}${process.pid}-`;
const LEFTOVER = /^rfs-(\d+)-/;
const SSHD = '/usr/sbin/sshd';
const PROGRAMS = ['ip', 'unshare', 'nsenter', SSHD, 'sudo', 'ssh-keygen', 'useradd', 'chpasswd'];
const START_TIMEOUT_MS = 60_000;

/**
 * key: user `fleetkey` logs in with an ed25519 key and has passwordless sudo.
 * password: user `fleetpw` logs in with a password and sudo asks for it.
 * unreachable: the namespace exists but no sshd listens (connections are refused) until startSshd().
 */
export type LoginKind = 'key' | 'password' | 'unreachable';

export interface SshLabHostSpec {
  name: string;
  login: LoginKind;
  /** Pretend to be another distribution: writes the host's own /etc/os-release. */
  os?: 'ubuntu2204';
}

export interface SshLabHost {
  name: string;
  netns: string;
  address: string;
  port: number;
  login: LoginKind;
  username: string;
  /** OpenSSH-format private key (key hosts). */
  privateKey?: string;
  /** Login and sudo password (password hosts). */
  password?: string;
}

export interface HostExec {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Why the lab cannot run here, or null. */
export function sshLabMissing(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network and mount namespaces)';
  const missing = PROGRAMS.filter((p) => !findProgram(p));
  return missing.length ? `needs ${missing.join(', ')} (Debian packages openssh-server, sudo, iproute2, util-linux, passwd)` : null;
}

/** The `skip` option for tests using the lab: a reason on a machine without it, false under RAMPART_E2E=required. */
export function skipUnlessSshLab(): string | false {
  const missing = sshLabMissing();
  return missing && !e2eRequired ? `${missing} (set RAMPART_E2E=required to fail instead)` : false;
}

const live = new Set<SshLab>();
process.once('exit', () => live.forEach((lab) => lab.closeSync()));

function run(cmd: string, args: string[], input?: string): HostExec {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function must(cmd: string, args: string[], input?: string): string {
  const r = run(cmd, args, input);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const listNamespaces = () => run('ip', ['netns', 'list']).stdout.split('\n').map((l) => l.split(' ')[0]).filter(Boolean);

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

const pidsIn = (netns: string) => run('ip', ['netns', 'pids', netns]).stdout.split('\n').map(Number).filter((p) => p > 0);

function removeNamespace(netns: string): void {
  if (!listNamespaces().includes(netns)) return;
  killAll(pidsIn(netns));
  run('ip', ['netns', 'del', netns]);
}

/** Namespaces and scratch directories of earlier runs whose process died before cleaning up. */
function removeLeftovers(): void {
  for (const ns of listNamespaces()) {
    const m = LEFTOVER.exec(ns);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) removeNamespace(ns);
  }
  for (const name of readdirSync(tmpdir())) {
    const m = /^rampart-ssh-lab-(\d+)-/.exec(name);
    if (m && !pidAlive(Number(m[1]))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

/** Runs in the client namespace: opens the TCP connection a dial asks for and reports how it went. */
const DIALER = `
import { createServer, connect } from 'node:net';
const server = createServer((client) => {
  client.once('data', (first) => {
    const nl = first.indexOf(10);
    const [host, port] = first.subarray(0, nl).toString().split(' ');
    const rest = first.subarray(nl + 1);
    const upstream = connect({ host, port: Number(port) });
    upstream.once('connect', () => {
      client.write('+\\n');
      if (rest.length) upstream.write(rest);
      client.pipe(upstream).pipe(client);
    });
    upstream.once('error', (err) => client.end('-' + (err.code || 'EIO') + ' ' + err.message + '\\n'));
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
});
server.listen(process.argv[2], () => console.log('listening'));
`;

let labCount = 0;

export class SshLab {
  readonly hosts = new Map<string, SshLabHost>();
  private readonly dir: string;
  private readonly client: string;
  private readonly namespaces: string[] = [];
  private readonly holders = new Map<string, ChildProcess>();
  private readonly sshd = new Map<string, ChildProcess>();
  private readonly dialerSocket: string;
  private dialer?: ChildProcess;
  private closed = false;

  constructor(
    private readonly id: string,
    /** The lab's /24 without its last octet: the client bridge is .1, hosts .10 up. */
    private readonly subnet = SUBNET,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `rampart-ssh-lab-${process.pid}-`));
    this.client = `${id}-c`;
    this.dialerSocket = join(this.dir, 'dialer.sock');
    live.add(this);
  }

  /**
   * The namespace holding the bridge to every host: a process started in it (`ip netns exec`) reaches the hosts
   * by address over TCP, as a Rampart worker on another node would.
   */
  get clientNamespace(): string {
    return this.client;
  }

  host(name: string): SshLabHost {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no host "${name}" in this lab (${[...this.hosts.keys()].join(', ')})`);
    return host;
  }

  /** Where to connect, for the connector (hostKeyName defaults to the address, as a fleet host's ip would). */
  target(name: string, hostId: string): SshTarget {
    const host = this.host(name);
    return { hostId, hostKeyName: host.address, address: host.address, port: host.port };
  }

  /** The host's login as stored credential material. */
  secret(name: string): SshSecret {
    const host = this.host(name);
    if (host.privateKey) return { username: host.username, authMethod: 'ssh_key', privateKey: host.privateKey };
    return { username: host.username, authMethod: 'password', password: host.password };
  }

  /** Opens a TCP connection from the client namespace; rejects with the socket error code (ECONNREFUSED ...). */
  readonly dial: Dial = (address, port) =>
    new Promise((resolve, reject) => {
      const socket: Socket = connect(this.dialerSocket);
      let header = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        header = Buffer.concat([header, chunk]);
        const nl = header.indexOf(10);
        if (nl < 0) return;
        socket.removeListener('data', onData);
        socket.removeListener('error', reject);
        const line = header.subarray(0, nl).toString();
        const rest = header.subarray(nl + 1);
        if (line === '+') {
          // Without a data listener a flowing socket drops what arrives (the start of the SSH banner, under load):
          // hold it until the caller has attached its own.
          socket.pause();
          if (rest.length) socket.unshift(rest);
          resolve(socket);
          setImmediate(() => socket.resume());
          return;
        }
        socket.destroy();
        const [code, ...message] = line.slice(1).split(' ');
        reject(Object.assign(new Error(message.join(' ') || code), { code }));
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.write(`${address} ${port}\n`);
    });

  /** One ICMP echo from the client namespace (`ping -c1 -W`), as the fleet's liveness ICMP layer sends it. */
  readonly ping = (address: string, timeoutSec: number): Promise<boolean> =>
    new Promise((resolve) => {
      const proc = spawn('ip', ['netns', 'exec', this.client, 'ping', '-n', '-c', '1', '-W', String(timeoutSec), address], { stdio: 'ignore' });
      proc.once('error', () => resolve(false));
      proc.once('exit', (code) => resolve(code === 0));
    });

  /** Runs a shell command on the host (inside its mount namespace, as root). */
  exec(name: string, command: string, stdin?: string): HostExec {
    const holder = this.holderPid(name);
    return run('nsenter', ['-t', String(holder), '-m', '-u', '-n', 'sh', '-c', command], stdin);
  }

  /** exec, failing on a non-zero exit. */
  must(name: string, command: string, stdin?: string): string {
    const r = this.exec(name, command, stdin);
    if (r.status !== 0) throw new Error(`on ${name}: ${command} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  }

  async startSshd(name: string): Promise<void> {
    const host = this.host(name);
    if (this.sshd.get(name)?.exitCode === null) return;
    const proc = spawn('nsenter', ['-t', String(this.holderPid(name)), '-m', '-u', '-n', SSHD, '-D', '-e'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (c) => (stderr += c));
    this.sshd.set(name, proc);
    await waitFor(
      `sshd on ${name} to accept connections`,
      async () => {
        if (proc.exitCode !== null) throw new Error(`sshd on ${name} exited (${proc.exitCode}): ${stderr}`);
        const sock = await this.dial(host.address, host.port).catch(() => null);
        sock?.destroy();
        return sock !== null;
      },
      START_TIMEOUT_MS,
      100,
    );
  }

  /** Stops the listener and every session it started: the host no longer answers SSH. */
  async stopSshd(name: string): Promise<void> {
    const proc = this.sshd.get(name);
    this.sshd.delete(name);
    const netns = this.host(name).netns;
    const sshdPids = pidsIn(netns).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().startsWith('sshd');
      } catch {
        return false;
      }
    });
    killAll(sshdPids);
    if (proc && proc.exitCode === null && proc.signalCode === null) await new Promise((resolve) => proc.once('exit', resolve));
  }

  /** A new host key, as after a rebuild: a connector that trusted the old one must refuse this host. */
  async rotateHostKey(name: string): Promise<void> {
    await this.stopSshd(name);
    this.must(name, `rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key`);
    await this.startSshd(name);
  }

  async close(): Promise<void> {
    this.closeSync();
  }

  /** Kills everything the lab started (the mount namespaces go with their last process), removes namespaces and files. */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    for (const proc of [...this.sshd.values(), ...this.holders.values(), ...(this.dialer ? [this.dialer] : [])]) {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    for (const ns of [...this.namespaces].reverse()) removeNamespace(ns);
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** Namespaces of this lab that still exist (none after close()). */
  remainingNamespaces(): string[] {
    const mine = new Set(this.namespaces);
    return listNamespaces().filter((ns) => mine.has(ns));
  }

  private holderPid(name: string): number {
    const pid = this.holders.get(name)?.pid;
    if (this.closed || !pid) throw new Error(`host ${name} is not running`);
    return pid;
  }

  private addNamespace(netns: string): void {
    this.namespaces.push(netns);
    must('ip', ['netns', 'add', netns]);
    must('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  }

  async build(specs: SshLabHostSpec[]): Promise<void> {
    if (new Set(specs.map((s) => s.name)).size !== specs.length) throw new Error('host names must be unique');
    this.addNamespace(this.client);
    must('ip', ['-n', this.client, 'link', 'add', 'br0', 'type', 'bridge']);
    must('ip', ['-n', this.client, 'addr', 'add', `${this.subnet}.1/24`, 'dev', 'br0']);
    must('ip', ['-n', this.client, 'link', 'set', 'br0', 'up']);
    await this.startDialer();
    for (const [i, spec] of specs.entries()) await this.buildHost(spec, i);
  }

  private async startDialer(): Promise<void> {
    const script = join(this.dir, 'dialer.mjs');
    writeFileSync(script, DIALER);
    const proc = spawn('ip', ['netns', 'exec', this.client, process.execPath, script, this.dialerSocket], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.dialer = proc;
    let out = '';
    proc.stdout!.on('data', (c) => (out += c));
    proc.stderr!.on('data', (c) => (out += c));
    await waitFor('the lab dialer', () => {
      if (proc.exitCode !== null) throw new Error(`the lab dialer exited: ${out}`);
      return out.includes('listening');
    }, START_TIMEOUT_MS, 50);
  }

  private async buildHost(spec: SshLabHostSpec, index: number): Promise<void> {
    const netns = `${this.id}-${index + 1}`;
    const address = `${this.subnet}.${10 + index}`;
    this.addNamespace(netns);
    const veth = `h${index + 1}`;
    must('ip', ['-n', this.client, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    must('ip', ['-n', this.client, 'link', 'set', veth, 'master', 'br0']);
    must('ip', ['-n', this.client, 'link', 'set', veth, 'up']);
    must('ip', ['-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    must('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
    must('ip', ['-n', netns, 'route', 'add', 'default', 'via', `${this.subnet}.1`]);

    await this.startHolder(spec.name, netns);
    const host: SshLabHost = { name: spec.name, netns, address, port: 22, login: spec.login, username: '' };
    this.hosts.set(spec.name, host);
    this.provision(host, spec);
    if (spec.login !== 'unreachable') await this.startSshd(spec.name);
  }

  /** A process that holds the host's mount and UTS namespaces, set up with the host's private /etc and state dirs. */
  private async startHolder(name: string, netns: string): Promise<void> {
    const root = join(this.dir, name);
    const setup = [
      `mkdir -p ${root}/upper ${root}/work`,
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${root}/upper,workdir=${root}/work /etc`,
      ...['/home', '/root', '/run', '/var/log', '/tmp'].map((dir) => `mount -t tmpfs -o mode=${dir === '/tmp' ? '1777' : '0755'} tmpfs ${dir}`),
      'mkdir -p /run/sshd && chmod 0755 /run/sshd',
      `hostname ${name}`,
      `echo ${name} > /etc/hostname`,
      'echo ready',
      'exec sleep infinity',
    ].join(' && ');
    const proc = spawn('ip', ['netns', 'exec', netns, 'unshare', '--mount', '--uts', '--propagation', 'private', 'sh', '-c', setup], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.holders.set(name, proc);
    let out = '';
    proc.stdout!.on('data', (c) => (out += c));
    proc.stderr!.on('data', (c) => (out += c));
    await waitFor(`host ${name}'s namespaces`, () => {
      if (proc.exitCode !== null) throw new Error(`setting up host ${name} failed: ${out}`);
      return out.includes('ready');
    }, START_TIMEOUT_MS, 50);
  }

  private provision(host: SshLabHost, spec: SshLabHostSpec): void {
    const name = spec.name;
    this.must(name, `rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key`);
    this.must(name, 'cat > /etc/ssh/sshd_config', SSHD_CONFIG);
    this.must(name, 'rm -f /etc/ssh/sshd_config.d/*.conf');
    this.must(name, `printf '127.0.0.1 localhost\\n127.0.1.1 %s\\n' ${name} > /etc/hosts`);
    if (spec.os === 'ubuntu2204') this.must(name, 'rm -f /etc/os-release && cat > /etc/os-release', UBUNTU_2204_OS_RELEASE);
    if (spec.login === 'password') {
      host.username = 'fleetpw';
      host.password = `pw-${randomBytes(9).toString('base64url')}`;
      this.must(name, 'useradd -m -s /bin/bash fleetpw && chpasswd', `fleetpw:${host.password}\n`);
      this.must(name, 'cat > /etc/sudoers.d/fleetpw && chmod 0440 /etc/sudoers.d/fleetpw', 'fleetpw ALL=(ALL:ALL) ALL\n');
    } else {
      host.username = 'fleetkey';
      const keys = clientKeyPair(`fleetkey@${name}`);
      host.privateKey = keys.private;
      this.must(name, "useradd -m -s /bin/bash fleetkey && usermod -p '*' fleetkey && install -d -m 0700 -o fleetkey -g fleetkey /home/fleetkey/.ssh");
      this.must(name, 'cat > /home/fleetkey/.ssh/authorized_keys && chown fleetkey:fleetkey /home/fleetkey/.ssh/authorized_keys && chmod 0600 /home/fleetkey/.ssh/authorized_keys', `${keys.public}\n`);
      this.must(name, 'cat > /etc/sudoers.d/fleetkey && chmod 0440 /etc/sudoers.d/fleetkey', 'fleetkey ALL=(ALL:ALL) NOPASSWD: ALL\n');
    }
  }
}

/** A plain Debian-style sshd_config: keys and passwords, PAM, no root login. */
const SSHD_CONFIG = `# Written by the Rampart SSH test lab
Include /etc/ssh/sshd_config.d/*.conf
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding no
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
`;

const UBUNTU_2204_OS_RELEASE = `PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
UBUNTU_CODENAME=jammy
`;

/**
 * Starts the hosts (10.213.1.10, .11, ... in order; `subnet` picks another /24, such as a test's own range). Fails naming what is missing when the machine cannot run
 * the lab; check skipUnlessSshLab() first to skip instead outside RAMPART_E2E=required.
 */
export async function startSshLab(opts: { hosts: SshLabHostSpec[]; subnet?: string }): Promise<SshLab> {
  const missing = sshLabMissing();
  if (missing) throw new Error(`the SSH lab cannot run: ${missing}`);
  removeLeftovers();
  const lab = new SshLab(`${OWN_PREFIX}${++labCount}`, opts.subnet);
  try {
    await lab.build(opts.hosts);
  } catch (err) {
    lab.closeSync();
    throw err;
  }
  return lab;
}

/**
 * An ed25519 login key pair. ssh2's generator writes about 1 key in 250 that neither it nor OpenSSH can read back
 * ("Malformed OpenSSH private key"; `ssh-keygen -y` fails too), which turned a CI run red: such a key is made again.
 */
function clientKeyPair(comment: string): { private: string; public: string } {
  for (;;) {
    const keys = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    if (!(ssh2.utils.parseKey(keys.private) instanceof Error)) return keys;
  }
}

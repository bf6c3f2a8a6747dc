/**
 * One managed host for fleet tests: Debian's sshd in a network namespace of its own (`rfa-<pid>-<n>`, address
 * 10.213.4.<n> on a dummy link) and a mount namespace in which /mnt is a scratch directory of the test, so commands
 * run over SSH change that directory only. The test process reaches sshd through `socat` run inside the namespace
 * (a dialer for the SSH connector): nothing is added to the machine's own network. destroy() stops sshd and removes
 * the namespace and the directory; a process-exit hook does the same if a test dies first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import type { Dial } from '../../src/modules/fleet/ssh/ssh.connector.js';
import { waitFor } from './wait.js';

const live = new Set<SshLabHost>();
process.once('exit', () => {
  for (const host of live) host.destroySync();
});

let count = 0;

const run = (cmd: string, args: string[]) => {
  const result = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr || result.error?.message}`);
  return result.stdout;
};

export class SshLabHost {
  readonly netns: string;
  readonly address: string;
  readonly port = 22;
  /** Scratch directory: sshd's files, and `root/`, which the host sees as /mnt. */
  readonly dir: string;
  readonly privateKey: string;
  private sshd?: ChildProcess;
  private log = '';

  static async start(): Promise<SshLabHost> {
    const host = new SshLabHost(++count);
    try {
      await host.boot();
    } catch (err) {
      host.destroySync();
      throw err;
    }
    return host;
  }

  private constructor(n: number) {
    this.netns = `rfa-${process.pid}-${n}`;
    this.address = `10.213.4.${n + 1}`;
    this.dir = mkdtempSync(join(tmpdir(), `rampart-${this.netns}-`));
    live.add(this);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(this.dir, 'client')]);
    this.privateKey = readFileSync(join(this.dir, 'client'), 'utf8');
  }

  private async boot(): Promise<void> {
    const d = this.dir;
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(d, 'hostkey')]);
    writeFileSync(join(d, 'authorized_keys'), readFileSync(join(d, 'client.pub')));
    run('mkdir', ['-p', join(d, 'root')]);
    writeFileSync(
      join(d, 'sshd_config'),
      [
        `ListenAddress ${this.address}:${this.port}`,
        `HostKey ${d}/hostkey`,
        `PidFile ${d}/sshd.pid`,
        `AuthorizedKeysFile ${d}/authorized_keys`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        '',
      ].join('\n'),
    );
    run('ip', ['netns', 'add', this.netns]);
    run('ip', ['-n', this.netns, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', this.netns, 'link', 'add', 'lab0', 'type', 'dummy']);
    run('ip', ['-n', this.netns, 'addr', 'add', `${this.address}/24`, 'dev', 'lab0']);
    run('ip', ['-n', this.netns, 'link', 'set', 'lab0', 'up']);
    // A private mount namespace: /run/sshd (privilege separation) on a tmpfs, and the scratch root as /mnt.
    const script = `mount -t tmpfs tmpfs /run && mkdir -m 755 /run/sshd && mount --bind ${d}/root /mnt && exec /usr/sbin/sshd -D -e -f ${d}/sshd_config`;
    this.sshd = spawn('ip', ['netns', 'exec', this.netns, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.sshd.stdout!.on('data', (c) => (this.log += c));
    this.sshd.stderr!.on('data', (c) => (this.log += c));
    await waitFor(`sshd listening in ${this.netns} (${this.log})`, () => {
      const ss = spawnSync('ip', ['netns', 'exec', this.netns, 'ss', '-Htln'], { encoding: 'utf8' });
      return ss.stdout.includes(`${this.address}:${this.port}`);
    }, 20_000, 50);
  }

  /** The connector's dialer: a byte stream to sshd through socat inside the namespace. */
  readonly dial: Dial = async (address, port) => {
    const child = spawn('ip', ['netns', 'exec', this.netns, 'socat', '-', `TCP:${address}:${port}`], { stdio: ['pipe', 'pipe', 'ignore'] });
    const stream = Duplex.from({ readable: child.stdout!, writable: child.stdin! });
    stream.on('close', () => child.kill());
    return stream;
  };

  /** A file of the host's /mnt, read from outside. */
  file(name: string): string {
    return readFileSync(join(this.dir, 'root', name), 'utf8');
  }

  writeFile(name: string, content: string): void {
    writeFileSync(join(this.dir, 'root', name), content);
  }

  destroySync(): void {
    live.delete(this);
    this.sshd?.kill('SIGKILL');
    spawnSync('ip', ['netns', 'pids', this.netns], { encoding: 'utf8' })
      .stdout?.split('\n')
      .map(Number)
      .filter((pid) => pid > 0)
      .forEach((pid) => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      });
    spawnSync('ip', ['netns', 'del', this.netns]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

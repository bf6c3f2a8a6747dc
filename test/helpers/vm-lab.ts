/**
 * A throwaway Linux VM for tests that need kernel features the test machine lacks (this machine's kernel builds no
 * 802.1Q and loads no modules). Everything comes from Debian packages, nothing is downloaded:
 *
 *   qemu-system-x86   the VM
 *   linux-image-amd64 its kernel (/boot/vmlinuz-V) and modules (/lib/modules/V: virtio, 9p, 8021q, nf_tables ...)
 *   busybox-static    the one program of the initramfs
 *
 * The initramfs is written at run time (newc cpio): busybox, the modules that mount the share (virtio_pci, 9p), and
 * /init. The host's root file system is shared read-only over 9p; /init mounts it, puts tmpfs on /tmp and /run and
 * switch_roots into it, so the guest runs this machine's Node, Rampart tree, node_modules, iproute2 and nft, and its
 * kernel loads further modules (8021q, veth, nf_tables ...) on demand with the host's own modprobe from
 * /lib/modules/V. The guest runs one command, prints `RAMPART-VM-EXIT <status>` on the serial console and powers
 * off. Addresses inside the guest are the guest's own; the guest has no network device at all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram } from './e2e.js';

const QEMU = 'qemu-system-x86_64';
const BUSYBOX = '/bin/busybox';
/** What the initramfs loads to reach the share; the rest loads inside the guest from the shared /lib/modules. */
const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p'];
/** Modules the guest must find in /lib/modules/V for the tests (checked before booting). */
const GUEST_MODULES = ['8021q', 'veth', 'bridge', 'nf_tables'];
export const EXIT_MARK = 'RAMPART-VM-EXIT';

export interface Kernel {
  version: string;
  image: string;
  modules: string;
}

export type Accel = { name: 'kvm' | 'tcg'; why: string };

/** A Debian kernel whose modules can mount the share and make VLANs (the newest of those installed), or why not. */
export function findKernel(): Kernel | string {
  const images = existsSync('/boot') ? readdirSync('/boot').filter((f) => f.startsWith('vmlinuz-')).sort().reverse() : [];
  if (images.length === 0) return 'no kernel in /boot (install linux-image-amd64)';
  const problems: string[] = [];
  for (const image of images) {
    const version = image.slice('vmlinuz-'.length);
    const modules = join('/lib/modules', version);
    const missing = [...BOOT_MODULES, ...GUEST_MODULES].filter((m) => !moduleFile(modules, m));
    if (missing.length === 0) return { version, image: join('/boot', image), modules };
    problems.push(`${version} lacks ${missing.join(', ')} (uncompressed .ko)`);
  }
  return problems.join('; ');
}

/** What is missing to boot the VM, empty when nothing is. */
export function vmPrerequisites(): string[] {
  const missing: string[] = [];
  if (!findProgram(QEMU)) missing.push(`${QEMU} (qemu-system-x86)`);
  if (!isStaticBusybox()) missing.push(`a static ${BUSYBOX} (busybox-static)`);
  const kernel = findKernel();
  if (typeof kernel === 'string') missing.push(kernel);
  if (process.getuid?.() !== 0) missing.push('root (the guest runs the host tree as root)');
  return missing;
}

/**
 * KVM when it can run a stock kernel, else TCG (QEMU's emulator). RAMPART_VM_ACCEL=kvm|tcg forces one. KVM's
 * `kvm_pvm` flavour (PVM: nested virtualisation without hardware support, as on Firecracker machines) runs only
 * PVM-built guest kernels natively; a stock Debian kernel there is emulated instruction by instruction and does not
 * get out of its decompressor in minutes, so TCG, which boots it in about half a minute, is the faster choice.
 */
export function chooseAccel(): Accel {
  const forced = process.env.RAMPART_VM_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return { name: forced, why: 'RAMPART_VM_ACCEL' };
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { name: 'tcg', why: 'no usable /dev/kvm' };
  }
  if (existsSync('/sys/module/kvm_pvm')) return { name: 'tcg', why: 'KVM here is PVM (kvm_pvm), which cannot run a stock kernel at speed' };
  return { name: 'kvm', why: '/dev/kvm' };
}

function isStaticBusybox(): boolean {
  if (!existsSync(BUSYBOX)) return false;
  const elf = readFileSync(BUSYBOX);
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false; // 64-bit ELF only
  // A dynamic executable has a PT_INTERP (3) program header naming its loader.
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (elf.readUInt32LE(phoff + i * phentsize) === 3) return false;
  return true;
}

function moduleFile(dir: string, name: string): string | undefined {
  const dep = depMap(dir);
  return [...dep.keys()].find((path) => baseName(path) === name.replace(/-/g, '_'));
}

const baseName = (path: string) => path.split('/').pop()!.replace(/\.ko$/, '').replace(/-/g, '_');

const depCache = new Map<string, Map<string, string[]>>();
/** modules.dep as path -> dependency paths, uncompressed modules only (busybox insmod reads those). */
function depMap(dir: string): Map<string, string[]> {
  let map = depCache.get(dir);
  if (map) return map;
  map = new Map();
  const file = join(dir, 'modules.dep');
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [path, deps] = line.split(':');
      if (path?.endsWith('.ko')) map.set(path, (deps ?? '').trim().split(/\s+/).filter(Boolean));
    }
  }
  depCache.set(dir, map);
  return map;
}

/** The module files to insmod for `names`, dependencies first, each once. */
export function moduleLoadOrder(dir: string, names: string[]): string[] {
  const dep = depMap(dir);
  const order: string[] = [];
  const visit = (path: string) => {
    if (order.includes(path)) return;
    const deps = dep.get(path);
    if (!deps) throw new Error(`${path}: not an uncompressed module in ${dir}/modules.dep`);
    deps.forEach(visit);
    order.push(path);
  };
  for (const name of names) {
    const path = moduleFile(dir, name);
    if (!path) throw new Error(`module ${name} not found in ${dir}`);
    visit(path);
  }
  return order;
}

// ---- the initramfs: a newc cpio archive, written here so no cpio program is needed ----

export interface Entry {
  name: string;
  mode: number;
  data?: Buffer;
}

/** A newc ("070701") cpio archive of these entries, as the kernel unpacks an initramfs. */
export function newcArchive(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  const push = (e: Entry, ino: number) => {
    const name = Buffer.from(`${e.name}\0`);
    const data = e.data ?? Buffer.alloc(0);
    // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
    const fields = [ino, e.mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length, 0];
    const header = Buffer.from(`070701${fields.map(hex).join('')}`);
    parts.push(header, name, pad(header.length + name.length), data, pad(data.length));
  };
  entries.forEach((e, i) => push(e, i + 1));
  push({ name: 'TRAILER!!!', mode: 0 }, 0);
  return Buffer.concat(parts);
}

export const dir = (name: string): Entry => ({ name, mode: 0o40755 });
export const file = (name: string, data: Buffer | string, mode = 0o644): Entry => ({ name, mode: 0o100000 | mode, data: Buffer.from(data) });

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** /init: load the boot modules, mount the share and tmpfs, switch_root into the host's tree and run stage 2. */
function initScript(modules: string[]): string {
  return `#!/bin/busybox sh
B=/bin/busybox
fail() { echo "${EXIT_MARK} 125 ($*)"; $B poweroff -f; }
$B mount -t proc proc /proc && $B mount -t sysfs sys /sys && $B mount -t devtmpfs dev /dev || fail mounts
for m in ${modules.map((m) => baseName(m)).join(' ')}; do $B insmod /modules/$m.ko || fail "insmod $m"; done
# The host's root, read-only; loose caching is safe since nothing changes it while the guest runs.
$B mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /newroot || fail "mount the share"
$B mount -t tmpfs -o mode=1777 tmp /newroot/tmp && $B mount -t tmpfs -o mode=755 run /newroot/run || fail tmpfs
$B cp /stage2.sh /newroot/run/rampart-vm.sh
for d in dev proc sys; do $B mount --move /$d /newroot/$d || fail "move /$d"; done
exec $B switch_root /newroot /bin/sh /run/rampart-vm.sh
`;
}

/** Stage 2, in the host's tree: the test command, its status on the console, power off. */
function stage2Script(opts: { cwd: string; command: string[]; env: Record<string, string> }): string {
  const env = Object.entries(opts.env).map(([k, v]) => `export ${k}=${sq(v)}`).join('\n');
  return `export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp TMPDIR=/tmp
${env}
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs shm /dev/shm
ip link set lo up
cd ${sq(opts.cwd)} || echo "${EXIT_MARK} 125 (no ${opts.cwd})"
echo "rampart-vm: kernel $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print $2}' /proc/meminfo) kB"
${opts.command.map(sq).join(' ')} </dev/null 2>&1
echo "${EXIT_MARK} $?"
/bin/busybox poweroff -f
`;
}

export function buildInitramfs(kernel: Kernel, stage2: string): Buffer {
  const modules = moduleLoadOrder(kernel.modules, BOOT_MODULES);
  return newcArchive([
    ...['bin', 'dev', 'proc', 'sys', 'newroot', 'modules'].map(dir),
    file('bin/busybox', readFileSync(BUSYBOX), 0o755),
    file('init', initScript(modules), 0o755),
    file('stage2.sh', stage2),
    ...modules.map((m) => file(`modules/${baseName(m)}.ko`, readFileSync(join(kernel.modules, m)))),
  ]);
}

export interface VmRun {
  /** Resolves with the guest command's status (null when the VM stopped without reporting one) and all output. */
  done: Promise<{ status: number | null; output: string }>;
  kill(): void;
}

/**
 * Boots the VM and runs `command` in the guest (cwd and env as given). Each console line goes to onLine as it
 * arrives. The VM is killed after timeoutMs, by kill(), and when this process exits.
 */
export function runInVm(opts: {
  command: string[];
  cwd: string;
  env?: Record<string, string>;
  memoryMiB?: number;
  cpus?: number;
  timeoutMs: number;
  onLine?: (line: string) => void;
}): VmRun {
  const kernel = findKernel();
  if (typeof kernel === 'string') throw new Error(kernel);
  const accel = chooseAccel();
  const work = mkdtempSync(join(tmpdir(), 'rampart-vm-'));
  const initrd = join(work, 'initramfs.cpio');
  writeFileSync(initrd, buildInitramfs(kernel, stage2Script({ cwd: opts.cwd, command: opts.command, env: opts.env ?? {} })));
  const args = [
    ...(accel.name === 'kvm'
      ? ['-accel', 'kvm', '-cpu', 'host,-arch-capabilities'] // arch-capabilities: an MSR nested KVM may refuse
      : ['-accel', 'tcg,thread=multi', '-cpu', 'max']),
    '-smp', String(opts.cpus ?? 2), '-m', String(opts.memoryMiB ?? 3072),
    '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot',
    '-kernel', kernel.image, '-initrd', initrd,
    '-append', 'console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init',
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
  ];
  opts.onLine?.(`rampart-vm: ${QEMU} with ${accel.name} (${accel.why}), kernel ${kernel.version}`);
  const qemu: ChildProcess = spawn(QEMU, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = () => qemu.kill('SIGKILL');
  process.once('exit', killOnExit);
  let output = '';
  let partial = '';
  const take = (chunk: Buffer) => {
    // The serial console ends lines with \r\n and the BIOS writes escape sequences: keep plain lines.
    const text = partial + chunk.toString('utf8').replace(/\r/g, '').replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1bc/g, '');
    const lines = text.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      output += `${line}\n`;
      opts.onLine?.(line);
    }
  };
  qemu.stdout!.on('data', take);
  qemu.stderr!.on('data', take);
  const timer = setTimeout(() => {
    take(Buffer.from(`\nrampart-vm: killed after ${opts.timeoutMs} ms\n`));
    qemu.kill('SIGKILL');
  }, opts.timeoutMs);
  const done = new Promise<{ status: number | null; output: string }>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
      rmSync(work, { recursive: true, force: true });
      if (partial) take(Buffer.from('\n'));
      const mark = new RegExp(`^${EXIT_MARK} (\\d+)`, 'm').exec(output);
      resolve({ status: mark ? Number(mark[1]) : null, output });
    };
    qemu.once('error', (err) => {
      output += `rampart-vm: ${err.message}\n`;
      finish();
    });
    qemu.once('close', finish);
  });
  return { done, kill: () => qemu.kill('SIGKILL') };
}

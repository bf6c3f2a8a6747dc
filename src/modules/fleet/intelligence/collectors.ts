/**
 * What intelligence reads from a host, one category per command (research/openwatch.md: passwd, shadow, groups,
 * listening ports, addresses, packages, services, kernel, reboot marker, uptime, mounts, hashes of watched files).
 * Each parser returns the category's data, or null when the output cannot be read (the category goes stale).
 */
import type { CommandResult } from '../ssh/ssh.types.js';

export interface UserEntry {
  uid: number;
  gid: number;
  home: string;
  shell: string;
}
export interface ShadowEntry {
  locked: boolean;
  password_expired: boolean;
}
export interface GroupEntry {
  gid: number;
  members: string[];
}
export interface ServiceEntry {
  active: string;
  sub: string;
}
export interface MountEntry {
  device: string;
  fstype: string;
  options: string;
}

export interface Snapshot {
  users?: Record<string, UserEntry>;
  shadow?: Record<string, ShadowEntry>;
  groups?: Record<string, GroupEntry>;
  /** "address:port" of listening TCP sockets, sorted. */
  listening_ports?: string[];
  /** interface -> its addresses (address/prefix). */
  network?: Record<string, string[]>;
  /** package -> version. */
  packages?: Record<string, string>;
  services?: Record<string, ServiceEntry>;
  mounts?: Record<string, MountEntry>;
  kernel?: { release: string };
  reboot_required?: { required: boolean };
  uptime?: { seconds: number; booted_at: string };
  /** watched path -> sha256, null when the file does not exist. */
  file_hashes?: Record<string, string | null>;
}

export type Category = keyof Snapshot;

export const WATCHED_FILES = ['/etc/sudoers', '/etc/ssh/sshd_config', '/etc/passwd', '/etc/shadow', '/etc/group'];

interface Collector<C extends Category> {
  category: C;
  command: string;
  sudo?: boolean;
  parse(result: CommandResult, now: Date): Snapshot[C] | null;
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
const ok = (r: CommandResult) => r.exitCode === 0 && !r.truncated;

function parsePasswd(r: CommandResult): Snapshot['users'] | null {
  if (!ok(r)) return null;
  const users: Record<string, UserEntry> = {};
  for (const line of lines(r.stdout)) {
    const f = line.split(':');
    if (f.length < 7) continue;
    users[f[0]] = { uid: Number(f[2]), gid: Number(f[3]), home: f[5], shell: f[6] };
  }
  return Object.keys(users).length ? users : null;
}

/** Locked: the hash starts with "!". Expired: a forced change (last change 0) or past last change + max days. */
function parseShadow(r: CommandResult, now: Date): Snapshot['shadow'] | null {
  if (!ok(r)) return null;
  const today = Math.floor(now.getTime() / 86_400_000);
  const entries: Record<string, ShadowEntry> = {};
  for (const line of lines(r.stdout)) {
    const f = line.split(':');
    if (f.length < 8) continue;
    const [lastChange, max] = [f[2], f[4]];
    const expired = lastChange === '0' || (lastChange !== '' && max !== '' && Number(max) < 99999 && Number(lastChange) + Number(max) < today);
    entries[f[0]] = { locked: f[1].startsWith('!'), password_expired: expired };
  }
  return Object.keys(entries).length ? entries : null;
}

function parseGroups(r: CommandResult): Snapshot['groups'] | null {
  if (!ok(r)) return null;
  const groups: Record<string, GroupEntry> = {};
  for (const line of lines(r.stdout)) {
    const f = line.split(':');
    if (f.length < 4) continue;
    groups[f[0]] = { gid: Number(f[2]), members: f[3].split(',').filter(Boolean).sort() };
  }
  return Object.keys(groups).length ? groups : null;
}

/** `ss -Htln`: state, queues, then the local address:port. */
function parseListening(r: CommandResult): Snapshot['listening_ports'] | null {
  if (!ok(r)) return null;
  return [...new Set(lines(r.stdout).map((l) => l.trim().split(/\s+/)[3]).filter(Boolean))].sort();
}

function parseAddresses(r: CommandResult): Snapshot['network'] | null {
  if (!ok(r)) return null;
  try {
    const links = JSON.parse(r.stdout) as { ifname: string; addr_info?: { local: string; prefixlen: number }[] }[];
    return Object.fromEntries(links.map((l) => [l.ifname, (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).sort()]));
  } catch {
    return null;
  }
}

function parsePackages(r: CommandResult): Snapshot['packages'] | null {
  if (!ok(r)) return null;
  const packages: Record<string, string> = {};
  for (const line of lines(r.stdout)) {
    const [name, version] = line.split('\t');
    if (name && version) packages[name] = version;
  }
  return packages;
}

/** `systemctl list-units --plain --no-legend`: unit, load, active, sub, description. */
function parseServices(r: CommandResult): Snapshot['services'] | null {
  if (!ok(r)) return null;
  const services: Record<string, ServiceEntry> = {};
  for (const line of lines(r.stdout)) {
    const [unit, , active, sub] = line.trim().split(/\s+/);
    if (unit?.endsWith('.service') && active && sub) services[unit] = { active, sub };
  }
  return services;
}

const unescapeMount = (path: string) => path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

function parseMounts(r: CommandResult): Snapshot['mounts'] | null {
  if (!ok(r)) return null;
  const mounts: Record<string, MountEntry> = {};
  for (const line of lines(r.stdout)) {
    const [device, mountpoint, fstype, options] = line.split(' ');
    if (mountpoint) mounts[unescapeMount(mountpoint)] = { device, fstype, options };
  }
  return mounts;
}

function parseUptime(r: CommandResult, now: Date): Snapshot['uptime'] | null {
  const seconds = Number(r.stdout.trim().split(/\s+/)[0]);
  if (!ok(r) || !Number.isFinite(seconds)) return null;
  return { seconds: Math.floor(seconds), booted_at: new Date(now.getTime() - Math.floor(seconds) * 1000).toISOString() };
}

/** sha256sum prints "hash  path" for files it read; a missing file only on stderr (exit 1), so it is null here. */
function parseHashes(r: CommandResult): Snapshot['file_hashes'] | null {
  if (r.timedOut || r.truncated) return null;
  const found = new Map(lines(r.stdout).map((l) => [l.slice(66), l.slice(0, 64)] as const));
  const unreadable = WATCHED_FILES.some((p) => !found.has(p) && !new RegExp(`${p}: No such file`).test(r.stderr));
  if (unreadable) return null;
  return Object.fromEntries(WATCHED_FILES.map((p) => [p, found.get(p) ?? null]));
}

const PACKAGE_LIST = [
  'if command -v dpkg-query >/dev/null 2>&1; then dpkg-query -W -f=\'${Package}\\t${Version}\\n\'',
  "elif command -v rpm >/dev/null 2>&1; then rpm -qa --qf '%{NAME}\\t%{VERSION}-%{RELEASE}\\n'",
  'else exit 127; fi',
].join('; ');

export const collectors: Collector<Category>[] = [
  { category: 'users', command: 'cat /etc/passwd', parse: parsePasswd },
  { category: 'shadow', command: 'cat /etc/shadow', sudo: true, parse: parseShadow },
  { category: 'groups', command: 'getent group', parse: parseGroups },
  { category: 'listening_ports', command: 'ss -Htln', parse: parseListening },
  { category: 'network', command: 'ip -j addr', parse: parseAddresses },
  { category: 'packages', command: PACKAGE_LIST, parse: parsePackages },
  { category: 'services', command: 'systemctl list-units --type=service --all --plain --no-legend --no-pager', parse: parseServices },
  { category: 'mounts', command: 'cat /proc/mounts', parse: parseMounts },
  { category: 'kernel', command: 'uname -r', parse: (r) => (ok(r) && r.stdout.trim() ? { release: r.stdout.trim() } : null) },
  {
    category: 'reboot_required',
    command: 'if [ -e /var/run/reboot-required ]; then echo yes; else echo no; fi',
    parse: (r) => (ok(r) ? { required: r.stdout.trim() === 'yes' } : null),
  },
  { category: 'uptime', command: 'cat /proc/uptime', parse: parseUptime },
  { category: 'file_hashes', command: `sha256sum ${WATCHED_FILES.join(' ')}`, sudo: true, parse: parseHashes },
] as Collector<Category>[];

export type StaleReason = 'denied' | 'failed' | 'timeout';

/** Why a category could not be read: sudo or the file refused (denied), the command ran out of time, or it failed. */
export function staleReason(r: CommandResult, sudo: boolean): StaleReason {
  if (r.timedOut) return 'timeout';
  if ((sudo && /^sudo:/m.test(r.stderr)) || /permission denied/i.test(r.stderr)) return 'denied';
  return 'failed';
}

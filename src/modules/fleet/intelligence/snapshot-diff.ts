/**
 * Two snapshots of a host into intelligence events (research/openwatch.md's codes and severities). Only categories
 * read fresh this time and known from before are compared: a category that could not be read is not "everything
 * removed", and the first snapshot of a category is a baseline, not "everything added".
 */
import type { Category, Snapshot } from './collectors.js';
import type { EventSeverity } from './intelligence.tables.js';

export interface IntelligenceEvent {
  event_code: string;
  severity: EventSeverity;
  detail: Record<string, unknown>;
  /** When it happened, when the host tells (a reboot); else when it was detected. */
  occurred_at?: string;
}

/** Groups whose members can become root or read every log. */
export const PRIVILEGED_GROUPS = new Set(['root', 'sudo', 'wheel', 'adm', 'admin']);

const keys = <T extends object>(o: T | undefined) => new Set(Object.keys(o ?? {}));
const added = <T>(before: Set<T>, after: Set<T>) => [...after].filter((x) => !before.has(x));
const ev = (event_code: string, severity: EventSeverity, detail: Record<string, unknown>, occurred_at?: string): IntelligenceEvent => ({
  event_code,
  severity,
  detail,
  ...(occurred_at ? { occurred_at } : {}),
});

type Differ<C extends Category> = (before: NonNullable<Snapshot[C]>, after: NonNullable<Snapshot[C]>) => IntelligenceEvent[];

const differs: { [C in Category]?: Differ<C> } = {
  users: (b, a) => [
    ...added(keys(b), keys(a)).map((user) => ev('account.user.created', 'medium', { user, uid: a[user].uid })),
    ...added(keys(a), keys(b)).map((user) => ev('account.user.deleted', 'medium', { user, uid: b[user].uid })),
  ],
  shadow: (b, a) =>
    Object.keys(a)
      .filter((user) => b[user])
      .flatMap((user) => [
        ...(a[user].locked !== b[user].locked ? [ev(a[user].locked ? 'account.user.locked' : 'account.user.unlocked', a[user].locked ? 'medium' : 'info', { user })] : []),
        ...(a[user].password_expired && !b[user].password_expired ? [ev('account.password.expired', 'high', { user })] : []),
      ]),
  groups: (b, a) =>
    Object.keys(a)
      .filter((group) => PRIVILEGED_GROUPS.has(group))
      .flatMap((group) => added(new Set(b[group]?.members ?? []), new Set(a[group].members)).map((user) => ev('account.user.privileged_group_added', 'critical', { user, group }))),
  listening_ports: (b, a) => added(new Set(b), new Set(a)).map((listen) => ev('security.port.opened', 'high', { listen })),
  packages: (b, a) => [
    ...added(keys(b), keys(a)).map((pkg) => ev('system.package.installed', 'info', { package: pkg, version: a[pkg] })),
    ...Object.keys(a)
      .filter((pkg) => b[pkg] !== undefined && b[pkg] !== a[pkg])
      .map((pkg) => ev('system.package.updated', 'info', { package: pkg, from: b[pkg], to: a[pkg] })),
    ...added(keys(a), keys(b)).map((pkg) => ev('system.package.removed', 'medium', { package: pkg, version: b[pkg] })),
  ],
  services: (b, a) =>
    Object.keys(a).flatMap((unit) => {
      const was = b[unit]?.active ?? 'inactive';
      const now = a[unit].active;
      if (was === now) return [];
      if (now === 'failed') return [ev('system.service.failed', 'high', { service: unit, from: was })];
      if (now === 'active') return [ev('system.service.started', 'info', { service: unit, from: was })];
      if (was === 'active') return [ev('system.service.stopped', 'info', { service: unit, to: now })];
      return [];
    }),
  mounts: (b, a) => [
    ...added(keys(b), keys(a)).map((mountpoint) => ev('system.filesystem.mounted', 'info', { mountpoint, device: a[mountpoint].device, fstype: a[mountpoint].fstype })),
    ...added(keys(a), keys(b)).map((mountpoint) => ev('system.filesystem.unmounted', 'medium', { mountpoint, device: b[mountpoint].device, fstype: b[mountpoint].fstype })),
  ],
  kernel: (b, a) => (a.release !== b.release ? [ev('system.kernel.updated', 'medium', { from: b.release, to: a.release })] : []),
  reboot_required: (b, a) => (a.required && !b.required ? [ev('system.reboot.required', 'medium', {})] : []),
  uptime: (b, a) => (a.seconds < b.seconds ? [ev('system.reboot.completed', 'info', { booted_at: a.booted_at }, a.booted_at)] : []),
  file_hashes: (b, a) =>
    Object.keys(a)
      .filter((path) => path in b && b[path] !== a[path])
      .map((path) => ev('system.config.file_changed', 'high', { path, from_sha256: b[path], to_sha256: a[path] })),
};

/** Events between the last known snapshot and the categories read fresh now. */
export function diffSnapshots(before: Snapshot, fresh: Snapshot): IntelligenceEvent[] {
  return (Object.keys(fresh) as Category[]).flatMap((category) => {
    const previous = before[category];
    const current = fresh[category];
    const differ = differs[category] as Differ<typeof category> | undefined;
    if (previous === undefined || current === undefined || !differ) return [];
    return differ(previous as never, current as never);
  });
}

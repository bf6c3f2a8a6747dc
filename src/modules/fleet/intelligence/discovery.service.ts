import type { Core } from '../../../core/index.js';
import type { HostService } from '../hosts/host.service.js';
import type { HostSession } from '../ssh/ssh.types.js';
import {
  osFamily,
  parseAppArmor,
  parseDfRoot,
  parseFirewall,
  parseMemTotalMb,
  parseOsRelease,
  parseSelinux,
  parseUname,
  platformIdentifier,
  type FirewallFacts,
} from './discovery.parse.js';
import { withHostSession, type SessionDeps } from './host-session.js';
import { hostChangeAnnouncer } from '../common/host-changes.js';

/** Which firewall is in charge: service states, then how many rule lines nft and iptables hold (as root). */
const FIREWALL_PROBE = [
  `for s in firewalld ufw; do printf '%s=%s\\n' "$s" "$(systemctl is-active "$s" 2>/dev/null || true)"; done`,
  `if command -v nft >/dev/null 2>&1; then printf 'nft_rules=%s\\n' "$(nft list ruleset 2>/dev/null | grep -c 'rule\\|accept\\|drop\\|reject' || true)"; fi`,
  `if command -v iptables >/dev/null 2>&1; then printf 'iptables_rules=%s\\n' "$(iptables -S 2>/dev/null | grep -c '^-A' || true)"; fi`,
].join('; ');

export interface DiscoveryFacts {
  hostname: string | null;
  fqdn: string | null;
  os: { id: string | null; name: string | null; pretty_name: string | null; version_id: string | null; id_like: string | null };
  os_family: string | null;
  os_version: string | null;
  platform_identifier: string | null;
  kernel: { name: string; release: string; version: string } | null;
  architecture: string | null;
  memory_total_mb: number | null;
  root_filesystem: { size_gb: number; used_gb: number; available_gb: number } | null;
  selinux: string | null;
  apparmor_enabled: boolean | null;
  firewall: FirewallFacts;
  /** How Rampart reaches root on this host (root, sudo_nopasswd, sudo_password, none). */
  privilege: string;
  host_key_fingerprint: string;
}

const orNull = (v: string | undefined) => (v === undefined || v === '' ? null : v);

/** Runs discovery's commands over one session (concurrently, each in its own channel) and reads them into facts. */
export async function discover(session: HostSession): Promise<DiscoveryFacts> {
  const [osRelease, uname, meminfo, df, hostname, fqdn, selinux, apparmor, firewall] = await Promise.all([
    session.run('cat /etc/os-release'),
    session.run('uname -srvm'),
    session.run('cat /proc/meminfo'),
    session.run('df -BG /'),
    session.run('hostname'),
    session.run('hostname -f'),
    session.run('getenforce'),
    session.run('aa-status --enabled', { sudo: true }),
    session.run(FIREWALL_PROBE, { sudo: true }),
  ]);
  const os = osRelease.exitCode === 0 ? parseOsRelease(osRelease.stdout) : {};
  const family = osFamily(os);
  const version = orNull(os.VERSION_ID);
  const kernel = uname.exitCode === 0 ? parseUname(uname.stdout) : null;
  return {
    hostname: hostname.exitCode === 0 ? orNull(hostname.stdout.trim()) : null,
    fqdn: fqdn.exitCode === 0 ? orNull(fqdn.stdout.trim()) : null,
    os: { id: orNull(os.ID), name: orNull(os.NAME), pretty_name: orNull(os.PRETTY_NAME), version_id: version, id_like: orNull(os.ID_LIKE) },
    os_family: family,
    os_version: version,
    platform_identifier: platformIdentifier(family, version),
    kernel: kernel && { name: kernel.kernel_name, release: kernel.kernel_release, version: kernel.kernel_version },
    architecture: kernel?.architecture ?? null,
    memory_total_mb: meminfo.exitCode === 0 ? parseMemTotalMb(meminfo.stdout) : null,
    root_filesystem: df.exitCode === 0 ? parseDfRoot(df.stdout) : null,
    selinux: parseSelinux(selinux.exitCode, selinux.stdout),
    apparmor_enabled: parseAppArmor(apparmor.exitCode),
    firewall: parseFirewall(firewall.stdout),
    privilege: session.privilege,
    host_key_fingerprint: session.hostKeyFingerprint,
  };
}

export interface SystemInfo {
  host_id: string;
  collected_at: string | null;
  facts: DiscoveryFacts | null;
}

export function createDiscoveryService(deps: { core: Core; hosts: HostService; session: SessionDeps }) {
  const { db } = deps.core;
  const changed = hostChangeAnnouncer(deps.core.events);

  async function store(hostId: string, facts: DiscoveryFacts, at: string): Promise<void> {
    const values = { facts: db.dialect.toJson(facts), collected_at: at };
    await db.kysely
      .insertInto('fleet_system_info')
      .values({ host_id: hostId, ...values })
      .onConflict((oc) => oc.column('host_id').doUpdateSet(values))
      .execute();
    await db.kysely
      .updateTable('fleet_hosts')
      .set({
        os_family: facts.os_family,
        os_version: facts.os_version,
        architecture: facts.architecture,
        platform_identifier: facts.platform_identifier,
        os_discovered_at: at,
        updated_at: at,
      })
      .where('id', '=', hostId)
      .execute();
    await changed([hostId]);
  }

  return {
    /**
     * Connects, discovers, and stores the facts on the host row and as its system info, with an audit row. The
     * SSH work happens before the transaction, so a slow host never holds one open.
     */
    async run(hostId: string, opts: { actor: { type: 'user' | 'api_key' | 'service_account' | 'system'; id: string | null; name: string | null }; correlationId?: string | null; signal?: AbortSignal }) {
      const host = await deps.hosts.row(hostId);
      const facts = await withHostSession(deps.session, host, discover, opts.signal);
      const at = deps.core.now().toISOString();
      await db.transaction(async () => {
        await store(host.id, facts, at);
        await deps.core.audit.record({
          actor: opts.actor,
          action: 'host.discovery.completed',
          resource: { type: 'host', id: host.id },
          result: 'success',
          correlationId: opts.correlationId ?? null,
          details: { os_family: facts.os_family, os_version: facts.os_version, platform_identifier: facts.platform_identifier, architecture: facts.architecture },
        });
      });
      return { host_id: host.id, status: 'completed' as const, discovered_at: at, facts };
    },

    /** The latest discovery facts; collected_at and facts null when discovery never ran. */
    async systemInfo(hostId: string): Promise<SystemInfo> {
      const host = await deps.hosts.row(hostId);
      const row = await db.kysely.selectFrom('fleet_system_info').selectAll().where('host_id', '=', host.id).executeTakeFirst();
      return { host_id: host.id, collected_at: row?.collected_at ?? null, facts: row ? db.dialect.fromJson<DiscoveryFacts>(row.facts) : null };
    },
  };
}

export type DiscoveryService = ReturnType<typeof createDiscoveryService>;

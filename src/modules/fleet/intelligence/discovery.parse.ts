/**
 * Reading what discovery's commands print into facts. Pure functions: each takes a command's output and returns
 * its part of the facts, null where the output says nothing usable.
 */

/** KEY=value lines of /etc/os-release, quotes removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    fields[m[1]] = m[2].replace(/^(["'])(.*)\1$/, '$2').replace(/\\(.)/g, '$1');
  }
  return fields;
}

/** Enterprise Linux rebuilds are graded as RHEL, as their vendors intend. */
const RHEL_LIKE = new Set(['rhel', 'centos', 'rocky', 'almalinux', 'ol', 'scientific', 'eurolinux', 'navix']);

/** The OS family rules and frameworks key on: rhel, debian, ubuntu, fedora, suse, or the ID itself. */
export function osFamily(osRelease: Record<string, string>): string | null {
  const id = osRelease.ID?.toLowerCase();
  if (!id) return null;
  if (RHEL_LIKE.has(id)) return 'rhel';
  if (id === 'sles' || id === 'opensuse-leap' || id === 'opensuse') return 'suse';
  return id;
}

/** debian12, ubuntu2204, rhel9: the suffix of per-OS framework keys (the major version, Ubuntu's with its minor). */
export function platformIdentifier(family: string | null, version: string | null): string | null {
  if (!family || !version) return null;
  const [major, minor] = version.split('.');
  if (!/^\d+$/.test(major)) return null;
  if (family === 'ubuntu') return `ubuntu${major}${(minor ?? '00').padStart(2, '0')}`;
  return `${family}${major}`;
}

/** `uname -srvm`: kernel name, release, version (several words), machine. */
export function parseUname(text: string): { kernel_name: string; kernel_release: string; kernel_version: string; architecture: string } | null {
  const words = text.trim().split(/\s+/);
  if (words.length < 4) return null;
  return { kernel_name: words[0], kernel_release: words[1], kernel_version: words.slice(2, -1).join(' '), architecture: words[words.length - 1] };
}

/** MemTotal of /proc/meminfo, in MiB. */
export function parseMemTotalMb(text: string): number | null {
  const m = /^MemTotal:\s+(\d+)\s+kB/m.exec(text);
  return m ? Math.round(Number(m[1]) / 1024) : null;
}

/** `df -BG /`: the root filesystem's size, use and free space in GiB. */
export function parseDfRoot(text: string): { size_gb: number; used_gb: number; available_gb: number } | null {
  const line = text.trim().split('\n')[1];
  const cols = line?.trim().split(/\s+/);
  if (!cols || cols.length < 4) return null;
  const gb = (v: string) => Number(v.replace(/G$/, ''));
  const [size, used, available] = [gb(cols[1]), gb(cols[2]), gb(cols[3])];
  return [size, used, available].every(Number.isFinite) ? { size_gb: size, used_gb: used, available_gb: available } : null;
}

/** getenforce: enforcing, permissive, disabled; null when SELinux tools are absent. */
export function parseSelinux(exitCode: number | null, stdout: string): string | null {
  const mode = stdout.trim().toLowerCase();
  return exitCode === 0 && ['enforcing', 'permissive', 'disabled'].includes(mode) ? mode : null;
}

/** `aa-status --enabled` answers by exit code only: 0 enabled, 127 not installed, anything else disabled. */
export function parseAppArmor(exitCode: number | null): boolean | null {
  if (exitCode === 0) return true;
  if (exitCode === 127 || exitCode === null) return null;
  return false;
}

export interface FirewallFacts {
  /** The firewall in charge: firewalld or ufw when active, else nftables/iptables when rules are loaded, else none. */
  active: 'firewalld' | 'ufw' | 'nftables' | 'iptables' | 'none';
  firewalld: boolean;
  ufw: boolean;
  nft_rule_lines: number | null;
  iptables_rule_lines: number | null;
}

/** The firewall probe prints key=value lines (see FIREWALL_PROBE in discovery.service.ts). */
export function parseFirewall(text: string): FirewallFacts {
  const kv = Object.fromEntries(text.split('\n').map((l) => l.split('=')).filter((p) => p.length === 2).map(([k, v]) => [k.trim(), v.trim()]));
  const count = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : null);
  const facts = {
    firewalld: kv.firewalld === 'active',
    ufw: kv.ufw === 'active',
    nft_rule_lines: count(kv.nft_rules),
    iptables_rule_lines: count(kv.iptables_rules),
  };
  const active = facts.firewalld
    ? 'firewalld'
    : facts.ufw
      ? 'ufw'
      : (facts.nft_rule_lines ?? 0) > 0
        ? 'nftables'
        : (facts.iptables_rule_lines ?? 0) > 0
          ? 'iptables'
          : 'none';
  return { active, ...facts };
}

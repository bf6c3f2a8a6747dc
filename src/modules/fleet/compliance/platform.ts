import type { ComplianceRule, HostFacts } from './rule.types.js';

/** Platform families rules name, and which discovered OS ids each covers (EL rebuilds are graded as RHEL). */
const FAMILY_MEMBERS: Record<string, string[]> = {
  rhel: ['rhel', 'centos', 'rocky', 'almalinux', 'ol', 'oracle'],
  debian: ['debian'],
  ubuntu: ['ubuntu'],
};

export const PLATFORM_FAMILIES = Object.keys(FAMILY_MEMBERS);

/** The platform family a discovered OS belongs to, or null when no rule family covers it. */
export function platformFamily(osFamily: string | null): string | null {
  const os = (osFamily ?? '').toLowerCase();
  return Object.entries(FAMILY_MEMBERS).find(([, members]) => members.includes(os))?.[0] ?? null;
}

/** Compares dotted versions numerically: 22.04 < 24.04, 9 < 9.2. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Why the rule does not apply to the host, or null when one of its platforms matches. */
export function platformMismatch(rule: ComplianceRule, facts: HostFacts): string | null {
  const family = platformFamily(facts.os_family);
  const version = facts.os_version ?? '';
  const wanted = rule.platforms.map((p) => `${p.family}${p.min_version ? ` >= ${p.min_version}` : ''}${p.max_version ? ` <= ${p.max_version}` : ''}`);
  const matches = rule.platforms.some(
    (p) =>
      p.family === family &&
      (!p.min_version || (version !== '' && compareVersions(version, p.min_version) >= 0)) &&
      (!p.max_version || (version !== '' && compareVersions(majorOf(version, p.max_version), p.max_version) <= 0)),
  );
  if (matches) return null;
  const host = facts.os_family ? `${facts.os_family} ${version}`.trim() : 'an unknown OS (run discovery first)';
  return `platform not applicable: the rule is for ${wanted.join(', ')}; the host runs ${host}`;
}

/** A max_version of "9" admits 9.4: compare only as many parts as the bound has. */
function majorOf(version: string, bound: string): string {
  return version.split('.').slice(0, bound.split('.').length).join('.');
}

/**
 * The OS part of framework keys for this host (debian12, ubuntu2204, rhel9), or null when the OS is unknown.
 * Ubuntu keys carry the minor release (22.04 -> 2204); the others only the major version.
 */
export function osKey(facts: HostFacts): string | null {
  const family = platformFamily(facts.os_family);
  if (!family || !facts.os_version) return null;
  const [major, minor = '0'] = facts.os_version.split('.');
  return family === 'ubuntu' ? `ubuntu${major}${minor.padStart(2, '0')}` : `${family}${major}`;
}

import type { ComplianceRule, FrameworkRefs } from './rule.types.js';

/**
 * Framework keys: per-OS ones join a framework and an OS key (cis_ubuntu2204, stig_rhel9); OS-free ones are the
 * reference name itself (nist_800_53). A key's family is the key minus its OS suffix.
 */

const FAMILY_TITLES: Record<string, string> = {
  cis: 'CIS Benchmark',
  stig: 'DISA STIG',
  nist_800_53: 'NIST SP 800-53 Rev. 5',
  pci_dss_4: 'PCI DSS v4.0',
  srg: 'DISA SRG',
};

const OS_TITLES: Record<string, string> = {
  debian12: 'Debian 12',
  ubuntu2204: 'Ubuntu 22.04 LTS',
  ubuntu2404: 'Ubuntu 24.04 LTS',
  rhel8: 'Red Hat Enterprise Linux 8',
  rhel9: 'Red Hat Enterprise Linux 9',
  rhel10: 'Red Hat Enterprise Linux 10',
};

/** Per-OS references in the YAML (cis, stig) and the field holding the control id. */
const PER_OS = ['cis', 'stig'] as const;

/** The framework keys and control ids a rule's references name. */
export function deriveFrameworkRefs(references: Record<string, unknown>): FrameworkRefs {
  const refs: FrameworkRefs = {};
  for (const [name, value] of Object.entries(references)) {
    if ((PER_OS as readonly string[]).includes(name)) Object.assign(refs, perOsRefs(name, value as Record<string, unknown>));
    else if (Array.isArray(value)) refs[name] = value.map(String);
  }
  return refs;
}

function perOsRefs(framework: string, byOs: Record<string, unknown>): FrameworkRefs {
  // A generic reference ({section} or {vuln_id} directly) is for every OS: the key is the framework alone.
  if ('section' in byOs || 'vuln_id' in byOs) return { [framework]: controlIds(byOs) };
  return Object.fromEntries(Object.entries(byOs).map(([os, ref]) => [`${framework}_${os}`, controlIds(ref as Record<string, unknown>)]));
}

function controlIds(ref: Record<string, unknown>): string[] {
  return [ref.section, ref.stig_id, ref.vuln_id].filter((v): v is string => typeof v === 'string');
}

/** cis_ubuntu2204 -> {family: cis, os: ubuntu2204}; nist_800_53 -> {family: nist_800_53, os: null}. */
export function splitFrameworkKey(key: string): { family: string; os: string | null } {
  const m = /^(cis|stig)_([a-z]+[0-9]+)$/.exec(key);
  return m ? { family: m[1], os: m[2] } : { family: key, os: null };
}

export function frameworkTitle(key: string): string {
  const { family, os } = splitFrameworkKey(key);
  const base = FAMILY_TITLES[family] ?? family;
  return os ? `${base} for ${OS_TITLES[os] ?? os}` : base;
}

/** Whether a rule belongs to one of the frameworks asked for (exact keys or families: "cis" takes every cis_*). */
export function inFrameworks(rule: ComplianceRule, frameworks: readonly string[]): boolean {
  return Object.keys(rule.frameworkRefs).some((key) => frameworks.includes(key) || frameworks.includes(splitFrameworkKey(key).family));
}

/** The references that concern one host: OS-free keys and those of its OS (all of them when the OS is unknown). */
export function refsForHost(refs: FrameworkRefs, hostOsKey: string | null): FrameworkRefs {
  if (!hostOsKey) return refs;
  return Object.fromEntries(Object.entries(refs).filter(([key]) => {
    const { os } = splitFrameworkKey(key);
    return os === null || os === hostOsKey;
  }));
}

export interface FrameworkSummary {
  key: string;
  family: string;
  os: string | null;
  title: string;
  rule_count: number;
}

/** Every framework key the rules reference, with its title and how many rules map to it. */
export function listFrameworks(rules: readonly ComplianceRule[]): FrameworkSummary[] {
  const counts = new Map<string, number>();
  for (const rule of rules) for (const key of Object.keys(rule.frameworkRefs)) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, rule_count]) => ({ key, ...splitFrameworkKey(key), title: frameworkTitle(key), rule_count }));
}

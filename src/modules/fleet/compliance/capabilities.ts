import type { HostSession } from '../ssh/ssh.types.js';
import type { ComplianceRule, RuleImplementation } from './rule.types.js';

/**
 * Host capabilities gate rule implementations (`when:`). They are detected once per scan by one command of cheap
 * tests (no package queries, no daemons contacted), each printing the capability's name when it holds.
 */
const PROBES: Record<string, string> = {
  systemd: 'test -d /run/systemd/system',
  sshd: 'test -x /usr/sbin/sshd || command -v sshd',
  sshd_config_d: 'test -d /etc/ssh/sshd_config.d',
  auditd: 'test -x /usr/sbin/auditctl || test -x /sbin/auditctl || command -v auditctl',
  selinux: 'test -f /etc/selinux/config || command -v getenforce',
  apparmor: 'test -d /sys/kernel/security/apparmor || test -d /etc/apparmor.d',
  dpkg: 'command -v dpkg-query',
  apt: 'command -v apt-get',
  rpm: 'command -v rpm',
  dnf: 'command -v dnf',
  grub2: 'test -f /etc/default/grub',
  authselect: 'command -v authselect',
  firewalld: 'command -v firewall-cmd',
  ufw: 'command -v ufw',
};

export const KNOWN_CAPABILITIES = Object.keys(PROBES);

export const CAPABILITY_COMMAND = Object.entries(PROBES)
  .map(([name, test]) => `{ ${test}; } >/dev/null 2>&1 && echo ${name}`)
  .concat('true')
  .join('; ');

export async function detectCapabilities(session: HostSession): Promise<Set<string>> {
  const result = await session.run(CAPABILITY_COMMAND, { timeoutMs: 30_000 });
  return new Set(result.stdout.split('\n').map((l) => l.trim()).filter((l) => KNOWN_CAPABILITIES.includes(l)));
}

/** Whether one `when` item holds: `name`, `!name`, or alternatives `a|b`. */
function itemHolds(item: string, capabilities: ReadonlySet<string>): boolean {
  return item.split('|').some((alt) => (alt.startsWith('!') ? !capabilities.has(alt.slice(1)) : capabilities.has(alt)));
}

export function gateHolds(when: readonly string[] | undefined, capabilities: ReadonlySet<string>): boolean {
  return (when ?? []).every((item) => itemHolds(item, capabilities));
}

/** The first gated implementation whose capabilities the host has, else the default one. */
export function selectImplementation(rule: ComplianceRule, capabilities: ReadonlySet<string>): RuleImplementation {
  const gated = rule.implementations.find((impl) => !impl.default && impl.when?.length && gateHolds(impl.when, capabilities));
  return gated ?? rule.implementations.find((impl) => impl.default) ?? rule.implementations[0];
}

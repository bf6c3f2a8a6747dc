import { RampartError } from '../../src/core/errors.js';
import type { ComplianceRule, HostFacts } from '../../src/modules/fleet/compliance/rule.types.js';
import { planRemediation } from '../../src/modules/fleet/compliance/remediation/plan.js';
import type { RemediationHosts } from '../../src/modules/fleet/remediation/remediation.types.js';
import type { HostSession } from '../../src/modules/fleet/ssh/ssh.types.js';

/** A rule whose fix sets `PermitRootLogin no` in a configuration file at `path` (one config_set step). */
export function rootLoginRule(path: string): ComplianceRule {
  return {
    id: 'lab-permit-root-login',
    title: 'Root cannot log in over SSH',
    severity: 'high',
    category: 'ssh',
    references: {},
    frameworkRefs: {},
    platforms: [{ family: 'debian' }],
    implementations: [
      {
        default: true,
        check: { method: 'config_value', path, key: 'PermitRootLogin', expected: 'no' },
        remediation: { mechanism: 'config_set', path, key: 'PermitRootLogin', value: 'no' },
      },
    ],
  };
}

export const debianFacts: HostFacts = { os_family: 'debian', os_version: '12', platform_identifier: 'debian12', architecture: 'x86_64' };

/** Remediation hosts over the real planner for the given rules, with sessions from `open`. */
export function remediationHostsFor(rules: ComplianceRule[], open: (hostId: string) => Promise<HostSession>): RemediationHosts {
  return {
    async plan(_hostId, ruleId) {
      const rule = rules.find((r) => r.id === ruleId);
      if (!rule) throw new RampartError({ code: 'rules.not_found', status: 404, message: `no rule ${ruleId}` });
      return planRemediation(rule, debianFacts);
    },
    open,
  };
}

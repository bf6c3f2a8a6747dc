import { RampartError } from '../../../core/errors.js';
import type { Database } from '../../../core/db/database.js';
import { planRemediation } from '../compliance/remediation/plan.js';
import type { ComplianceRule } from '../compliance/rule.types.js';
import type { FleetHostRow } from '../hosts/hosts.tables.js';
import type { HostSession } from '../ssh/ssh.types.js';
import type { RemediationHosts } from './remediation.types.js';

/** What remediation takes from the scan engine: the rule set, the site variables, and the scan's own SSH session. */
export interface RemediationEngine {
  rules(): Promise<ComplianceRule[]>;
  variables(): Promise<Record<string, string>>;
  openSession(host: FleetHostRow, signal: AbortSignal): Promise<HostSession>;
}

/**
 * Remediation's hosts over the scan engine: a rule of the scanned rule set planned with the host's discovered facts
 * and the site variables, and the session opened as a scan opens it (resolved credential, trusted host key).
 */
export function engineRemediationHosts(db: Database, engine: () => RemediationEngine): RemediationHosts {
  async function host(hostId: string): Promise<FleetHostRow> {
    const row = await db.kysely.selectFrom('fleet_hosts').selectAll().where('id', '=', hostId).where('deleted_at', 'is', null).executeTakeFirst();
    if (!row) throw new RampartError({ code: 'hosts.not_found', status: 404, message: 'host not found' });
    return row;
  }
  return {
    async plan(hostId, ruleId) {
      const [row, rules, variables] = await Promise.all([host(hostId), engine().rules(), engine().variables()]);
      const rule = rules.find((r) => r.id === ruleId);
      if (!rule) throw new RampartError({ code: 'rules.not_found', status: 404, message: `no rule ${ruleId} in the rule set` });
      const facts = { os_family: row.os_family, os_version: row.os_version, platform_identifier: row.platform_identifier, architecture: row.architecture };
      return planRemediation(rule, facts, { variables });
    },
    async open(hostId, signal) {
      return engine().openSession(await host(hostId), signal ?? new AbortController().signal);
    },
  };
}

import type { ConfigService } from '../config/config.service.js';
import { loadBuiltinRules } from '../compliance/builtin-rules.js';
import { evaluateRules } from '../compliance/engine.js';
import type { ComplianceRule } from '../compliance/rule.types.js';
import { SshConnectError, type HostConnector, type SshSecret } from '../ssh/ssh.types.js';
import type { ScanEngine } from './scan-job.js';

export interface ScanEngineDeps {
  connector: () => HostConnector | null;
  secretFor: (hostId: string) => Promise<SshSecret | null>;
  config: ConfigService;
  /** The rule set; the built-in rules by default. */
  rules?: () => ComplianceRule[];
}

/**
 * Scans over the real parts: the host's resolved credential, one SSH session through the connector (the
 * connectivity config's timeout), the compliance engine, the site variables and the scan config.
 */
export function createScanEngine(deps: ScanEngineDeps): ScanEngine {
  const rules = deps.rules ?? (() => loadBuiltinRules().rules);
  return {
    async openSession(host, signal) {
      const connector = deps.connector();
      if (!connector) throw new SshConnectError('protocol', 'no SSH connector is configured');
      const secret = await deps.secretFor(host.id);
      if (!secret) throw new SshConnectError('auth_failed', `no credential resolves for host ${host.hostname}`);
      const { timeout_sec } = await deps.config.get('connectivity');
      const target = { hostId: host.id, hostKeyName: host.hostname, address: host.ip_address, port: host.port };
      return connector.open(target, secret, { timeoutMs: timeout_sec * 1000, signal });
    },
    rules: async () => rules(),
    evaluate: (session, ruleSet, opts) => evaluateRules(session, ruleSet, opts),
    variables: () => deps.config.variables(),
    scanConfig: () => deps.config.get('scan'),
  };
}

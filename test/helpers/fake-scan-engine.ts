import type { ComplianceRule, RuleResult } from '../../src/modules/fleet/compliance/rule.types.js';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';
import type { ScanEngine } from '../../src/modules/fleet/scans/scan-job.js';
import type { HostSession } from '../../src/modules/fleet/ssh/ssh.types.js';
import type { TestRampart } from './app.js';

const rule = (id: string, severity: 'high' | 'critical'): ComplianceRule => ({
  id, title: id, severity, category: 'test', references: {}, frameworkRefs: { cis: ['1.1'] }, platforms: [{ family: 'debian' }], implementations: [],
});

/** Three rules; list-rule-b is critical. */
export const FAKE_RULES = [rule('list-rule-a', 'high'), rule('list-rule-b', 'critical'), rule('list-rule-c', 'high')];

/**
 * Scans of this Rampart evaluate FAKE_RULES without SSH (the scan e2e tests drive real hosts): each rule passes unless
 * `verdicts` says otherwise, and `gate`, while set, holds every evaluation until it resolves (a scan caught running).
 */
export function fakeScanEngine(r: TestRampart) {
  const state: { verdicts: Record<string, RuleResult['status']>; gate: Promise<void> | null; evaluating: number } = { verdicts: {}, gate: null, evaluating: 0 };
  const fleet = fleetServices(r.core);
  const session = { target: {}, privilege: 'root', hostKeyFingerprint: 'SHA256:fake', run: async () => ({ stdout: '', stderr: '', exitCode: 0 }), close: async () => undefined } as unknown as HostSession;
  const real = fleet.scanEngine;
  fleet.scanEngine = {
    openSession: async () => session,
    rules: async () => FAKE_RULES,
    evaluate: async (_s, rules) => {
      state.evaluating++;
      try {
        if (state.gate) await state.gate;
      } finally {
        state.evaluating--;
      }
      return rules.map((x) => ({ rule_id: x.id, title: x.title, status: state.verdicts[x.id] ?? 'pass', severity: x.severity, framework_refs: x.frameworkRefs, skip_reason: null, evidence: null }));
    },
    variables: async () => ({}),
    scanConfig: () => real.scanConfig(),
  } satisfies ScanEngine;
  return state;
}

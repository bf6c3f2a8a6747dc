/**
 * The capabilities a license can unlock. Free ones are always available; enterprise ones need a license in status
 * active or grace whose features claim names them (research/openwatch.md lists OpenWatch's enterprise set).
 */
export type Tier = 'free' | 'enterprise';

export interface Capability {
  id: string;
  tier: Tier;
  description: string;
}

export const capabilities: Capability[] = [
  { id: 'compliance_scanning', tier: 'free', description: 'Compliance scans of managed hosts over SSH' },
  { id: 'framework_reporting', tier: 'free', description: 'Results by framework (CIS, STIG, NIST 800-53)' },
  { id: 'host_monitoring', tier: 'free', description: 'Host liveness probes and connectivity states' },
  { id: 'alerting', tier: 'free', description: 'Alerts and notification channels' },
  { id: 'audit_query', tier: 'enterprise', description: 'Querying the audit trail beyond the default view' },
  { id: 'audit_export', tier: 'enterprise', description: 'Exporting audit events as CSV or JSON' },
  { id: 'temporal_queries', tier: 'enterprise', description: 'Posture history and drift between dates' },
  { id: 'remediation_execution', tier: 'enterprise', description: 'Executing remediation in bulk' },
  { id: 'remediation_auto', tier: 'enterprise', description: 'Automatic remediation' },
  { id: 'structured_exceptions', tier: 'enterprise', description: 'Compliance exceptions with approval workflow' },
  { id: 'priority_updates', tier: 'enterprise', description: 'Priority rule content updates' },
  { id: 'compliance_attestation', tier: 'enterprise', description: 'Signed compliance attestations' },
  { id: 'premium_diagnostics', tier: 'enterprise', description: 'Extended diagnostics' },
];

export const enterpriseFeatures = new Set(capabilities.filter((c) => c.tier === 'enterprise').map((c) => c.id));
export type EnterpriseFeature =
  | 'audit_query'
  | 'audit_export'
  | 'temporal_queries'
  | 'remediation_execution'
  | 'remediation_auto'
  | 'structured_exceptions'
  | 'priority_updates'
  | 'compliance_attestation'
  | 'premium_diagnostics';

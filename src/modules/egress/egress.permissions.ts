import { crud, vocabulary } from '../../core/rbac/vocabularies.js';

/**
 * Neuwerk has two roles: readonly (every GET) and admin (everything). Its routes need these permissions;
 * Rampart's built-in readonly role holds every :read, admin holds '*'.
 */
export const egressPermissions = vocabulary('egress', [
  ...crud('egress_policy', 'egress policies', ['read', 'write']),
  ...crud('egress_integration', 'egress integrations (Kubernetes API servers)', ['read', 'write'], 'sensitive'),
  ...crud('egress_audit', 'egress audit findings', ['read']),
  ...crud('egress_wiretap', 'the egress wiretap flow stream', ['read']),
  ...crud('egress_settings', 'egress runtime settings (performance mode, TLS-intercept CA)', ['read', 'write']),
  ...crud('egress_dataplane', 'egress runtime state (DNS cache, stats)', ['read']),
  ...crud('egress_support', 'egress support archives (sysdump)', ['write']),
  ...crud('egress_threat', 'egress threat intelligence (findings, feed status, silences)', ['read', 'write']),
  ...crud('egress_cluster', 'egress cluster membership', ['read', 'write']),
]);

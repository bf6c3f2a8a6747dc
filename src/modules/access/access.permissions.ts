import { crud, vocabulary } from '../../core/rbac/vocabularies.js';

/**
 * The access admin API's permissions (research/ztna.md's roles owner/admin/operator/auditor/helpdesk map onto
 * Rampart's roles over these). Users and groups reuse the identity permissions.
 */
export const accessPermissions = vocabulary('access', [
  ...crud('access_device', 'access devices (list, suspend, revoke, channel)', ['read', 'write']),
  ...crud('access_token', 'access enrollment tokens', ['read', 'write'], 'sensitive'),
  ...crud('access_policy', 'access policy bundles', ['read', 'publish']),
  ...crud('access_trust', 'access signers, trust anchors and SPCs', ['read', 'write'], 'sensitive'),
  ...crud('access_gateway', 'access gateway pools and gateways', ['read', 'write']),
  ...crud('access_session', 'access VPN sessions and connection truth', ['read']),
  ...crud('access_settings', 'access identity-provider settings', ['read', 'write'], 'sensitive'),
  ...crud('access_tenant', 'access tenants, their entitlements, alerts and usage', ['read', 'write']),
  ...crud('access_license', 'the access licence', ['read', 'manage']),
  ...crud('access_dirsync', 'access directory sync (snapshots, Keycloak)', ['read', 'write']),
  ...crud('access_audit', 'the access audit trail (read, export as CSV, JSON or syslog)', ['read', 'export'], 'sensitive'),
  ...crud('access_siem', 'the SIEM connector (syslog, webhook) and its delivery log', ['read', 'write'], 'sensitive'),
  ...crud('access_ops', 'access operations: incident playbooks, workflows, support bundles, updates', ['read', 'run'], 'sensitive'),
]);

import type { PermissionDefinition } from './rbac.types.js';

/**
 * The permission vocabularies of the specs Rampart serves. Each surface's routes require permissions in its own
 * spec's words, so a role keeps the meaning its product gives it:
 * - fleet: OpenWatch's registry (resource:action, also the names of Rampart's shared identity permissions);
 * - edge: AiFw's 37 permissions;
 * - rampart: what the shared identity needs beyond OpenWatch's names (groups, service accounts, SSO providers,
 *   sessions).
 * Modules that arrive later register more through RampartModule.permissions.
 */
type Entry = [name: string, description: string, sensitive?: 'sensitive'];

export function vocabulary(name: string, entries: Entry[]): PermissionDefinition[] {
  return entries.map(([perm, description, sensitive]) => ({ name: perm, description, vocabulary: name, ...(sensitive ? { sensitive: true } : {}) }));
}

export const crud = (resource: string, what: string, actions: string[], sensitive?: 'sensitive'): Entry[] =>
  actions.map((action) => [`${resource}:${action}`, `${action.replace(/_/g, ' ')} ${what}`, action === 'read' || action === 'view' ? sensitive : undefined]);

export const fleetPermissions = vocabulary('fleet', [
  ...crud('auth', 'authentication settings', ['read', 'write'], 'sensitive'),
  ...crud('user', 'users', ['read', 'write', 'delete'], 'sensitive'),
  ...crud('host', 'hosts', ['read', 'write', 'delete', 'connectivity_check', 'intelligence_refresh']),
  ...crud('credential', 'SSH credentials', ['read', 'write', 'delete'], 'sensitive'),
  ...crud('scan', 'scans', ['read', 'execute', 'cancel']),
  ...crud('scan_template', 'scan templates', ['read', 'write', 'delete']),
  ...crud('compliance', 'compliance state', ['read']),
  ...crud('baseline', 'baselines', ['read', 'write', 'delete']),
  ...crud('exception', 'compliance exceptions', ['read', 'request', 'comment', 'approve', 'revoke']),
  ...crud('alert', 'alerts', ['read', 'acknowledge', 'resolve', 'write']),
  ...crud('notification', 'notification channels', ['read', 'write', 'delete', 'test']),
  ...crud('token', 'API keys', ['read', 'write', 'delete'], 'sensitive'),
  ...crud('license', 'the license', ['read', 'install', 'revoke']),
  ...crud('policy', 'compliance policies', ['read', 'reload', 'install']),
  ...crud('remediation', 'remediations', ['read', 'request', 'approve', 'execute', 'rollback']),
  ...crud('integration', 'integrations', ['read', 'write', 'execute']),
  ...crud('audit', 'the audit trail', ['read', 'export'], 'sensitive'),
  ...crud('system', 'system settings', ['read', 'config_write', 'auth_policy_read', 'auth_policy_write']),
  ...crud('role', 'roles', ['read', 'write', 'assign'], 'sensitive'),
  ...crud('admin', 'administration', ['user_manage', 'role_manage', 'retention_policy', 'sso_provider', 'system_setting']),
]);

export const edgePermissions = vocabulary('edge', [
  ['dashboard:view', 'view the dashboard'],
  ...crud('rules', 'firewall rules', ['read', 'write']),
  ...crud('nat', 'NAT rules', ['read', 'write']),
  ...crud('vpn', 'VPN tunnels', ['read', 'write']),
  ...crud('geoip', 'geo-IP rules', ['read', 'write']),
  ...crud('ids', 'IDS/IPS', ['read', 'write']),
  ...crud('dns', 'DNS', ['read', 'write']),
  ...crud('dhcp', 'DHCP', ['read', 'write']),
  ...crud('aliases', 'aliases', ['read', 'write']),
  ...crud('interfaces', 'interfaces', ['read', 'write']),
  ['connections:view', 'view the connection table'],
  ['logs:view', 'view logs'],
  ...crud('users', 'users, roles and API keys', ['read', 'write'], 'sensitive'),
  ...crud('settings', 'settings', ['read', 'write'], 'sensitive'),
  ...crud('plugins', 'plugins', ['read', 'write']),
  ...crud('updates', 'updates', ['read', 'install']),
  ...crud('backup', 'backups and configuration history', ['read', 'write'], 'sensitive'),
  ['system:reboot', 'reboot or shut down the box'],
  ...crud('proxy', 'the reverse proxy', ['read', 'write']),
  ...crud('multiwan', 'multi-WAN', ['read', 'write']),
  ['ha:manage', 'manage high availability'],
]);

export const rampartPermissions = vocabulary('rampart', [
  ...crud('group', 'user groups', ['read', 'write'], 'sensitive'),
  ...crud('service_account', 'service accounts and their tokens', ['read', 'write'], 'sensitive'),
  ...crud('sso_provider', 'SSO providers', ['read', 'write'], 'sensitive'),
  ...crud('session', "other users' sessions", ['read', 'revoke'], 'sensitive'),
]);

export const builtinPermissions: PermissionDefinition[] = [...fleetPermissions, ...edgePermissions, ...rampartPermissions];

import type { PermissionDefinition } from './rbac.types.js';

/**
 * The built-in roles, with the meaning their specs give them. Most are defined over the permission registry
 * rather than as fixed lists, so permissions a module registers later join the roles they belong in (a new
 * `:read` joins viewer and readonly). Their rows exist in the roles table (for ids and assignments); their
 * permissions always come from here.
 */
export interface BuiltinRole {
  name: string;
  description: string;
  /** Where the role comes from: the spec whose role it is. */
  origin: string;
  grants(registry: readonly PermissionDefinition[]): string[];
}

const isRead = (p: PermissionDefinition) => /:(read|view)$/.test(p.name);
const names = (list: readonly PermissionDefinition[]) => list.map((p) => p.name);
const reads = (registry: readonly PermissionDefinition[], opts: { sensitive: boolean; vocabulary?: string }) =>
  names(registry.filter((p) => isRead(p) && (opts.sensitive || !p.sensitive) && (!opts.vocabulary || p.vocabulary === opts.vocabulary)));

/** AiFw's operator: everything on the box but users, settings, updates, reboots and HA. */
const OPERATOR_EXCLUDED = new Set(['users:write', 'settings:write', 'updates:install', 'system:reboot', 'ha:manage']);

export const builtinRoles: BuiltinRole[] = [
  {
    name: 'admin',
    origin: 'every spec',
    description: 'Full system administration: every permission',
    grants: () => ['*'],
  },
  {
    name: 'security_admin',
    origin: 'OpenWatch',
    description: 'Security configuration: hosts, credentials, scans, alerts, remediation, API keys and audit, plus license install',
    grants: (registry) => [
      ...reads(registry, { sensitive: false }),
      ...['host', 'credential', 'scan', 'scan_template', 'baseline', 'exception', 'alert', 'remediation', 'token', 'audit', 'policy'].map((r) => `${r}:*`),
      'license:install',
    ],
  },
  {
    name: 'ops_lead',
    origin: 'OpenWatch',
    description: 'Operations: hosts and scans, acknowledging and resolving alerts, requesting and executing remediation',
    grants: (registry) => [
      ...reads(registry, { sensitive: false }),
      'host:*',
      'scan:*',
      'alert:acknowledge',
      'alert:resolve',
      'remediation:request',
      'remediation:execute',
      'remediation:rollback',
    ],
  },
  {
    name: 'auditor',
    origin: 'OpenWatch',
    description: 'Read access plus audit review and export, and compliance exception review',
    grants: (registry) => [
      ...reads(registry, { sensitive: false }),
      'audit:read',
      'audit:export',
      'exception:request',
      'exception:comment',
      'exception:approve',
    ],
  },
  {
    name: 'operator',
    origin: 'AiFw',
    description: 'Runs the box: every edge permission except users, settings, updates, reboot and HA',
    grants: (registry) => names(registry.filter((p) => p.vocabulary === 'edge' && !OPERATOR_EXCLUDED.has(p.name))),
  },
  {
    name: 'viewer',
    origin: 'OpenWatch, AiFw',
    description: 'Read-only access, without users, settings, backups, credentials or the audit trail',
    grants: (registry) => reads(registry, { sensitive: false }),
  },
  {
    name: 'readonly',
    origin: 'Neuwerk',
    description: 'Every read (GET), nothing that changes state',
    grants: (registry) => reads(registry, { sensitive: true }),
  },
];

export const builtinRoleNames = new Set(builtinRoles.map((r) => r.name));

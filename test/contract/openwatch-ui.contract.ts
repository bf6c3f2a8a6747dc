/**
 * Every API call OpenWatch's web UI makes, with the response fields it reads, taken from its source
 * (Hanalyx/OpenWatch, frontend/src: the typed openapi-fetch client `api.GET/POST/...` in pages, hooks and
 * components). test/api/openwatch-ui-contract.test.ts runs each one against Rampart.
 *
 * Field paths: `a.b` is a key of an object, `list[].x` a key of every element of an array (the test makes sure the
 * arrays it checks are not empty). A field is "present" when the key exists; null is a value.
 * Path parameters keep the UI's names ({id}, {host_id}, {rid}, {xid}, {ruleId}); `params` says which fixture of
 * the test fills them. `traced: false` marks the few calls the issue names that the read copy of the UI source
 * did not show (the UI moves fast; the stored copies of some files are older than the API).
 */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type Area = 'frame' | 'identity' | 'audit' | 'hosts' | 'fleet' | 'compliance' | 'scans' | 'alerts' | 'activity'
  | 'credentials' | 'system' | 'groups' | 'notifications' | 'exceptions' | 'remediation';

export interface UiCall {
  method: Method;
  path: string;
  query?: Record<string, string>;
  body?: Record<string, unknown>;
  reads: string[];
  /** Where in the UI source the call is made (frontend/src/...). */
  source: string;
  area: Area;
  /** Which fixture fills the path parameters (see the test). */
  params?: 'user' | 'token' | 'notification' | 'any';
  /** Who calls it: the signed-in administrator (default) or a member acting on their own account. */
  as?: 'admin' | 'member';
  /** A server-sent event stream: `reads` are the fields of one event's data. */
  stream?: true;
  /** A browser navigation: it answers a redirect (3xx with a Location) rather than 2xx. */
  navigation?: true;
  traced?: false;
}

const HOST = 'hosts';

export const openwatchUiCalls: UiCall[] = [
  // ---- app frame: every page
  { method: 'GET', path: '/api/v1/auth/me', reads: ['id', 'username', 'email', 'role', 'mfa_enabled'], source: 'api/auth-bootstrap.ts', area: 'frame' },
  {
    method: 'GET', path: '/api/v1/notifications/feed', area: 'frame', source: 'hooks/useNotifications.ts, components/shell/TopBar.tsx',
    reads: ['unread_count', 'items[].id', 'items[].title', 'items[].body', 'items[].severity', 'items[].read', 'items[].link'],
  },
  { method: 'POST', path: '/api/v1/notifications/feed/{id}:read', params: 'notification', reads: [], source: 'hooks/useNotifications.ts', area: 'frame' },
  { method: 'POST', path: '/api/v1/notifications/feed:read-all', reads: [], source: 'hooks/useNotifications.ts', area: 'frame' },
  {
    method: 'GET', path: '/api/v1/users/me/preferences', area: 'frame', source: 'store/usePreferencesStore.ts',
    reads: ['hosts_view_default', 'density', 'accent_color', 'landing_page', 'date_format', 'reduce_motion'],
  },
  { method: 'PATCH', path: '/api/v1/users/me/preferences', body: { density: 'compact' }, reads: [], source: 'store/usePreferencesStore.ts', area: 'frame' },
  {
    method: 'GET', path: '/api/v1/auth-policy', area: 'frame', source: 'hooks/useIdleLogout.ts, pages/settings/SecurityPage.tsx',
    reads: ['require_mfa', 'session_idle_timeout_seconds', 'session_absolute_timeout_seconds'],
  },
  {
    method: 'PUT', path: '/api/v1/auth-policy', area: 'identity', source: 'pages/settings/SecurityPage.tsx', reads: [],
    body: { require_mfa: false, session_idle_timeout_seconds: 1800, session_absolute_timeout_seconds: 43200, updated_at: '2026-01-01T00:00:00Z' },
  },
  { method: 'GET', path: '/api/v1/sso/providers/enabled', reads: ['providers[].id', 'providers[].name'], source: 'pages/LoginPage.tsx', area: 'frame' },
  // A full-page navigation, not a fetch: the login page's "Sign in with ..." buttons (302 to the IdP). The test
  // names no provider here, so no request leaves the machine: Rampart sends the browser back to /login.
  { method: 'GET', path: '/api/v1/auth/sso/{id}/login', params: 'any', query: { return_to: '/dashboard' }, reads: [], source: 'pages/LoginPage.tsx', area: 'frame', navigation: true },
  { method: 'POST', path: '/api/v1/auth/refresh-cookie', reads: [], source: 'api/client.ts', area: 'frame' },
  {
    method: 'GET', path: '/api/v1/events', query: { topics: 'host.changed,monitoring.band.changed,host.discovered,intelligence.event,scan.completed,remediation.completed' },
    stream: true, reads: ['kind', 'timestamp', 'payload'], source: 'hooks/useLiveEvents.ts', area: 'frame',
  },
  { method: 'GET', path: '/api/v1/version', reads: ['openwatch', 'kensa', 'go', 'commit', 'build_time'], source: 'hooks/useVersion.ts, pages/settings/StubbedPages.tsx', area: 'frame' },
  { method: 'POST', path: '/api/v1/auth/login', body: { username: '<member>', password: '<member>' }, reads: [], source: 'pages/LoginPage.tsx', area: 'frame', as: 'member' },
  { method: 'POST', path: '/api/v1/auth/logout', reads: [], source: 'components/shell/TopBar.tsx, hooks/useIdleLogout.ts', area: 'frame', as: 'member' },

  // ---- identity: settings pages
  {
    method: 'GET', path: '/api/v1/users', area: 'identity', source: 'pages/settings/UsersPage.tsx',
    reads: ['users[].id', 'users[].username', 'users[].email', 'users[].roles', 'users[].disabled_at', 'users[].created_at'],
  },
  { method: 'POST', path: '/api/v1/users', body: { username: '<new>', email: 'new@example.com', password: '<strong>' }, reads: [], source: 'pages/settings/UserMutations.tsx', area: 'identity' },
  { method: 'GET', path: '/api/v1/roles', reads: ['roles[].id', 'roles[].description', 'roles[].is_built_in', 'roles[].permissions'], source: 'pages/settings/UserMutations.tsx, pages/settings/SecurityPage.tsx (RoleEntry)', area: 'identity' },
  { method: 'POST', path: '/api/v1/users/{id}/roles:assign', params: 'user', body: { role_id: 'viewer' }, reads: [], source: 'pages/settings/UserMutations.tsx', area: 'identity' },
  { method: 'POST', path: '/api/v1/users/{id}/roles:unassign', params: 'user', body: { role_id: 'viewer' }, reads: [], source: 'pages/settings/UserMutations.tsx', area: 'identity' },
  { method: 'POST', path: '/api/v1/users/{id}:reset-password', params: 'user', body: { new_password: '<strong>' }, reads: [], source: 'pages/settings/UserMutations.tsx', area: 'identity' },
  { method: 'POST', path: '/api/v1/users/{id}:disable', params: 'user', reads: [], source: 'pages/settings/UserMutations.tsx', area: 'identity' },
  { method: 'POST', path: '/api/v1/users/{id}:enable', params: 'user', reads: [], source: 'pages/settings/UserMutations.tsx', area: 'identity' },
  { method: 'DELETE', path: '/api/v1/users/{id}', params: 'user', reads: [], source: 'pages/settings/UserMutations.tsx', area: 'identity' },
  { method: 'POST', path: '/api/v1/auth/mfa:enroll', reads: ['provisioning_uri', 'secret'], source: 'pages/settings/ProfilePage.tsx', area: 'identity', as: 'member' },
  { method: 'POST', path: '/api/v1/auth/mfa:verify', body: { otp: '<totp>' }, reads: [], source: 'pages/settings/ProfilePage.tsx', area: 'identity', as: 'member' },
  { method: 'POST', path: '/api/v1/auth/password:change', body: { current_password: '<member>', new_password: '<strong>' }, reads: [], source: 'pages/settings/ProfilePage.tsx', area: 'identity', as: 'member' },
  { method: 'PATCH', path: '/api/v1/auth/me', body: { display_name: 'Renamed' }, reads: ['id', 'username', 'email'], source: 'pages/settings/ProfilePage.tsx (newer than the stored copy, which marks it pending)', area: 'identity', as: 'member', traced: false },
  {
    method: 'GET', path: '/api/v1/tokens', area: 'identity', source: 'pages/settings/SecurityPage.tsx',
    reads: ['tokens[].id', 'tokens[].name', 'tokens[].prefix', 'tokens[].role_id', 'tokens[].last_used_at', 'tokens[].revoked_at', 'tokens[].expires_at'],
  },
  { method: 'POST', path: '/api/v1/tokens', body: { name: 'ci', role_id: 'viewer' }, reads: ['token'], source: 'pages/settings/SecurityPage.tsx', area: 'identity' },
  { method: 'DELETE', path: '/api/v1/tokens/{id}', params: 'token', reads: [], source: 'pages/settings/SecurityPage.tsx', area: 'identity' },

  // ---- audit
  {
    method: 'GET', path: '/api/v1/audit/events', query: { limit: '50' }, area: 'audit', source: 'pages/settings/AuditPage.tsx',
    reads: [
      'next_cursor', 'items[].id', 'items[].occurred_at', 'items[].action', 'items[].message', 'items[].severity', 'items[].actor_label',
      'items[].actor_type', 'items[].actor_id', 'items[].resource_type', 'items[].resource_id', 'items[].correlation_id', 'items[].detail',
      'items[].redactions',
    ],
  },
  { method: 'GET', path: '/api/v1/audit/events/export', query: { format: 'csv' }, reads: [], source: 'issue 13 (the audit page export)', area: 'audit', traced: false },

  // ---- dashboard and fleet lenses
  { method: 'GET', path: '/api/v1/fleet/liveness', reads: ['reachable', 'unreachable', 'unknown', 'never_probed'], source: 'pages/dashboard/widgets.tsx', area: 'fleet' },
  { method: 'GET', path: '/api/v1/fleet/score', reads: ['passing_fraction', 'total_evaluations'], source: 'pages/dashboard/widgets.tsx', area: 'fleet' },
  { method: 'GET', path: '/api/v1/fleet/scan-queue', reads: ['running', 'queued'], source: 'pages/dashboard/widgets.tsx, pages/HostsListPage.tsx, pages/scans/ScansPage.tsx', area: 'fleet' },
  { method: 'GET', path: '/api/v1/fleet/compliance/trend', reads: ['days'], source: 'pages/dashboard/widgets.tsx, pages/HostsListPage.tsx', area: 'fleet' },
  { method: 'GET', path: '/api/v1/fleet/top-failing-rules', query: { limit: '6' }, reads: ['items'], source: 'pages/dashboard/widgets.tsx', area: 'fleet' },
  { method: 'GET', path: '/api/v1/fleet/top-failing-hosts', query: { limit: '6' }, reads: ['items'], source: 'pages/dashboard/widgets.tsx', area: 'fleet' },
  { method: 'GET', path: '/api/v1/fleet/recent-changes', reads: ['items'], source: 'pages/scans/ScansPage.tsx', area: 'fleet' },
  { method: 'GET', path: '/api/v1/fleet/connectivity/breakdown', reads: ['online', 'degraded', 'critical', 'down', 'never_probed'], source: 'pages/settings/ScanningPage.tsx', area: 'fleet' },
  { method: 'GET', path: '/api/v1/fleet/compliance/states', reads: [], source: 'pages/settings/ScanningPage.tsx', area: 'fleet' },
  { method: 'GET', path: '/api/v1/activity', query: { limit: '50' }, reads: ['items', 'next_cursor', 'hidden_count'], source: 'pages/activity/ActivityPage.tsx, pages/dashboard/widgets.tsx, pages/HostDetailPage.tsx', area: 'activity' },

  // ---- hosts
  { method: 'GET', path: `/api/v1/${HOST}`, reads: ['hosts'], source: 'pages/HostsListPage.tsx, pages/scans/ScansPage.tsx, pages/settings/CredentialsPage.tsx', area: 'hosts' },
  { method: 'GET', path: '/api/v1/hosts/{id}', params: 'any', reads: ['host.id', 'host.hostname', 'host.ip_address', 'host.maintenance_mode', 'liveness', 'compliance_summary.passing', 'compliance_summary.failing', 'compliance_summary.total'], source: 'pages/HostDetailPage.tsx, components/hosts/HostActionsMenu.tsx', area: 'hosts' },
  { method: 'PATCH', path: '/api/v1/hosts/{id}', params: 'any', body: { port: 22 }, reads: [], source: 'components/hosts/EditHostModal.tsx', area: 'hosts' },
  { method: 'DELETE', path: '/api/v1/hosts/{id}', params: 'any', reads: [], source: 'components/hosts/HostActionsMenu.tsx', area: 'hosts' },
  { method: 'PUT', path: '/api/v1/hosts/{host_id}/maintenance', params: 'any', body: { enabled: true }, reads: [], source: 'pages/HostDetailPage.tsx', area: 'hosts' },
  { method: 'POST', path: '/api/v1/hosts/{id}/scans', params: 'any', reads: [], source: 'pages/HostDetailPage.tsx, pages/host-detail/ComplianceTab.tsx', area: 'scans' },
  { method: 'POST', path: '/api/v1/hosts/{id}/discovery:run', params: 'any', reads: [], source: 'pages/HostDetailPage.tsx', area: 'hosts' },
  { method: 'POST', path: '/api/v1/hosts/{host_id}/credentials:resolve', params: 'any', reads: ['scope', 'name'], source: 'pages/HostDetailPage.tsx, components/hosts/HostCredentialModal.tsx', area: 'credentials' },
  { method: 'GET', path: '/api/v1/hosts/{id}/system-info', params: 'any', reads: [], source: 'pages/HostDetailPage.tsx', area: 'hosts' },
  { method: 'GET', path: '/api/v1/intelligence/state/{host_id}', params: 'any', reads: ['snapshot'], source: 'pages/HostDetailPage.tsx, pages/host-detail/CardServerIntel.tsx', area: 'hosts' },
  { method: 'POST', path: '/api/v1/hosts/{id}:target', params: 'any', body: { target_framework: '' }, reads: [], source: 'components/hosts/HostTargetControl.tsx', area: 'compliance' },

  // ---- compliance
  { method: 'GET', path: '/api/v1/hosts/{id}/compliance', params: 'any', reads: ['scan_context', 'summary', 'categories', 'rules'], source: 'pages/host-detail/ComplianceTab.tsx', area: 'compliance' },
  { method: 'GET', path: '/api/v1/hosts/{id}/compliance/frameworks', params: 'any', reads: ['frameworks'], source: 'pages/host-detail/ComplianceTab.tsx', area: 'compliance' },
  { method: 'GET', path: '/api/v1/hosts/{id}/compliance/schedule', params: 'any', reads: ['scheduler_paused', 'host_maintenance', 'next_scan_at', 'interval_minutes', 'compliance_state'], source: 'pages/HostDetailPage.tsx', area: 'compliance' },
  { method: 'GET', path: '/api/v1/hosts/{id}/compliance/failed-rules', params: 'any', query: { limit: '5' }, reads: ['total_failing', 'rules'], source: 'pages/HostDetailPage.tsx', area: 'compliance' },
  { method: 'GET', path: '/api/v1/hosts/{id}/compliance/trend', params: 'any', query: { days: '30' }, reads: ['days'], source: 'pages/HostDetailPage.tsx', area: 'compliance' },
  { method: 'GET', path: '/api/v1/compliance/frameworks', query: { all: 'true' }, reads: ['frameworks'], source: 'components/hosts/HostTargetControl.tsx', area: 'compliance' },

  // ---- exceptions
  { method: 'GET', path: '/api/v1/hosts/{id}/exceptions', params: 'any', reads: ['exceptions'], source: 'hooks/useHostExceptions.ts', area: 'exceptions' },
  { method: 'GET', path: '/api/v1/compliance/exceptions', query: { status: 'requested' }, reads: ['exceptions'], source: 'components/settings/ExceptionQueue.tsx', area: 'exceptions' },
  { method: 'POST', path: '/api/v1/exceptions/{xid}:approve', params: 'any', body: {}, reads: [], source: 'components/settings/ExceptionQueue.tsx', area: 'exceptions' },
  { method: 'POST', path: '/api/v1/exceptions/{xid}:reject', params: 'any', body: {}, reads: [], source: 'components/settings/ExceptionQueue.tsx', area: 'exceptions' },
  { method: 'POST', path: '/api/v1/exceptions/{xid}:revoke', params: 'any', body: {}, reads: [], source: 'components/settings/ExceptionQueue.tsx', area: 'exceptions' },

  // ---- remediation
  { method: 'GET', path: '/api/v1/remediation/requests', query: { host_id: '<any>' }, reads: ['requests'], source: 'hooks/useHostRemediations.ts', area: 'remediation' },
  { method: 'POST', path: '/api/v1/remediation/requests', body: { host_id: '<any>', rule_id: 'x' }, reads: [], source: 'components/hosts/RequestRemediationModal.tsx', area: 'remediation' },
  { method: 'POST', path: '/api/v1/remediation/requests/{rid}:approve', params: 'any', body: {}, reads: [], source: 'pages/HostDetailPage.tsx', area: 'remediation' },
  { method: 'POST', path: '/api/v1/remediation/requests/{rid}:reject', params: 'any', body: {}, reads: [], source: 'pages/HostDetailPage.tsx', area: 'remediation' },
  { method: 'POST', path: '/api/v1/remediation/requests/{rid}:execute', params: 'any', reads: [], source: 'pages/HostDetailPage.tsx', area: 'remediation' },
  { method: 'POST', path: '/api/v1/remediation/requests/{rid}:rollback', params: 'any', reads: [], source: 'pages/HostDetailPage.tsx', area: 'remediation' },

  // ---- alerts
  { method: 'GET', path: '/api/v1/alerts', query: { state: 'active', limit: '100' }, reads: ['items'], source: 'pages/HostDetailPage.tsx', area: 'alerts' },
  { method: 'GET', path: '/api/v1/alerts/{id}', params: 'any', reads: ['state', 'body', 'tags'], source: 'pages/activity/ActivityDrawer.tsx', area: 'alerts' },
  { method: 'POST', path: '/api/v1/alerts/{id}:acknowledge', params: 'any', body: {}, reads: [], source: 'pages/activity/useAlertActions.ts', area: 'alerts' },
  { method: 'POST', path: '/api/v1/alerts/{id}:silence', params: 'any', body: {}, reads: [], source: 'pages/activity/useAlertActions.ts', area: 'alerts' },
  { method: 'POST', path: '/api/v1/alerts/{id}:resolve', params: 'any', body: {}, reads: [], source: 'pages/activity/useAlertActions.ts', area: 'alerts' },

  // ---- scans
  { method: 'GET', path: '/api/v1/scans', query: { limit: '20' }, reads: ['scans'], source: 'pages/scans/ScansPage.tsx', area: 'scans' },
  { method: 'GET', path: '/api/v1/scans/{id}', params: 'any', reads: ['scan', 'results', 'framework_labels'], source: 'pages/scans/ScanDetailPage.tsx', area: 'scans' },
  { method: 'GET', path: '/api/v1/scans/{id}/oscal', params: 'any', reads: [], source: 'pages/scans/ScanDetailPage.tsx', area: 'scans' },
  { method: 'GET', path: '/api/v1/scans/{id}/rules/{ruleId}/evidence', params: 'any', reads: ['checks'], source: 'pages/scans/RuleDetailPanel.tsx', area: 'scans' },
  { method: 'GET', path: '/api/v1/scans/{id}/rules/{ruleId}/oscal', params: 'any', reads: [], source: 'pages/scans/RuleDetailPanel.tsx', area: 'scans' },

  // ---- credentials
  {
    method: 'GET', path: '/api/v1/credentials', area: 'credentials', source: 'pages/settings/CredentialsPage.tsx',
    reads: ['credentials'],
  },
  { method: 'POST', path: '/api/v1/credentials', body: { scope: 'system', name: 'x', username: 'x', auth_method: 'password', password: 'x', is_default: false }, reads: [], source: 'pages/settings/CredentialMutations.tsx, components/hosts/HostCredentialModal.tsx', area: 'credentials' },
  { method: 'PATCH', path: '/api/v1/credentials/{id}', params: 'any', body: { name: 'x' }, reads: [], source: 'pages/settings/CredentialMutations.tsx, components/hosts/HostCredentialModal.tsx', area: 'credentials' },
  { method: 'DELETE', path: '/api/v1/credentials/{id}', params: 'any', reads: [], source: 'pages/settings/CredentialMutations.tsx, components/hosts/HostCredentialModal.tsx', area: 'credentials' },
  { method: 'POST', path: '/api/v1/credentials/{id}:clone', params: 'any', body: { scope: 'host' }, reads: [], source: 'components/hosts/HostCredentialModal.tsx', area: 'credentials' },

  // ---- system configs
  { method: 'GET', path: '/api/v1/system/connectivity/config', reads: ['config', 'defaults'], source: 'pages/settings/ScanningPage.tsx', area: 'system' },
  { method: 'PUT', path: '/api/v1/system/connectivity/config', body: { online_sec: 900 }, reads: [], source: 'pages/settings/ScanningPage.tsx', area: 'system' },
  { method: 'GET', path: '/api/v1/system/connectivity/status', reads: [], source: 'pages/settings/ScanningPage.tsx', area: 'system' },
  { method: 'GET', path: '/api/v1/system/scan/config', reads: ['config'], source: 'pages/settings/ScanningPage.tsx', area: 'system' },
  { method: 'PUT', path: '/api/v1/system/scan/config', body: { enabled: true }, reads: [], source: 'pages/settings/ScanningPage.tsx', area: 'system' },
  { method: 'GET', path: '/api/v1/system/scan/schedule-preview', reads: [], source: 'pages/settings/ScanningPage.tsx', area: 'system' },
  { method: 'GET', path: '/api/v1/system/intelligence/config', reads: ['config', 'defaults'], source: 'components/settings/OSIntelligenceSection.tsx', area: 'system' },
  { method: 'PUT', path: '/api/v1/system/intelligence/config', body: { interval_sec: 3600 }, reads: [], source: 'components/settings/OSIntelligenceSection.tsx', area: 'system' },

  // ---- groups
  { method: 'GET', path: '/api/v1/groups', reads: ['summary', 'groups'], source: 'pages/groups/GroupsPage.tsx', area: 'groups' },
  { method: 'POST', path: '/api/v1/groups/{id}:maintenance', params: 'any', body: { on: true }, reads: [], source: 'pages/groups/GroupsPage.tsx', area: 'groups' },
  { method: 'DELETE', path: '/api/v1/groups/{id}', params: 'any', reads: [], source: 'pages/groups/GroupsPage.tsx', area: 'groups' },

  // ---- notification channels
  { method: 'GET', path: '/api/v1/notifications/channels', reads: ['channels'], source: 'pages/settings/NotificationsPage.tsx', area: 'notifications' },
  { method: 'POST', path: '/api/v1/notifications/channels', body: { type: 'webhook', name: 'x', enabled: true, tag_filter: {}, url: 'https://example.com/' }, reads: [], source: 'pages/settings/NotificationsPage.tsx', area: 'notifications' },
  { method: 'PATCH', path: '/api/v1/notifications/channels/{id}', params: 'any', body: { name: 'x' }, reads: [], source: 'pages/settings/NotificationsPage.tsx', area: 'notifications' },
  { method: 'DELETE', path: '/api/v1/notifications/channels/{id}', params: 'any', reads: [], source: 'pages/settings/NotificationsPage.tsx', area: 'notifications' },
  { method: 'POST', path: '/api/v1/notifications/channels/{id}:test', params: 'any', reads: [], source: 'pages/settings/NotificationsPage.tsx', area: 'notifications' },
];

/** A call's identity in lists: "METHOD /path". */
export const callKey = (call: Pick<UiCall, 'method' | 'path'>) => `${call.method} ${call.path}`;

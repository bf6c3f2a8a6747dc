/**
 * Every API call AiFw's web UI makes on the pages of issue 16, with the body it sends and the response fields it
 * reads, taken from its source (ZerosAndOnesLLC/AiFw, aifw-ui/src: lib/api.ts and lib/api/*.ts, context/*, the
 * components of the frame and the pages under app/). test/api/aifw-ui-contract.test.ts runs each one against
 * Rampart, in the order listed (creates before the edits and deletes that use their ids).
 *
 * Field paths: `a.b` is a key of an object; `list[].x` a key of every element of a list that must not be empty;
 * `list[*].x` the same but the list may be empty (live tables: connections, blocked); `[].x` is for a body that is
 * itself a list. A field is "present" when the key exists; null is a value.
 *
 * Path, query and body placeholders are filled by the test:
 *   {rule} {alias} {schedule} {nat} {vlan} {route} {user} {role}: the id the matching create answered
 *     (`captures`), or, where AiFw's create answers no id, the one a fresh list shows for the name it sent;
 *   {iface} / '<iface>': the first interface GET /api/v1/interfaces lists;
 *   '<rule_ids>' / '<nat_ids>': the ids of the listed rules (NAT rules) in reverse order (a reorder);
 *   '<v1>' '<v2>': the oldest and newest version of GET /api/v1/config/history (restore takes the newest, so what
 *     the calls before it deleted stays deleted); '<export>': what
 *     GET /api/v1/config/export answered; '<xml>': a small OPNsense config.xml; '<s3>': a local S3-compatible
 *     server; '<s3key>': the first key GET /api/v1/backup/s3/list answered; '<totp>': the current code of the secret
 *     totp/setup answered; '<new>': a fresh name; '<strong>': a strong password; '<ticket>': the ws-ticket answered.
 *
 * The stored copies of the UI's files are of different ages (older pages send `Authorization: Bearer` from
 * localStorage, newer ones ride a session cookie with `X-AiFw-Csrf: 1`); the calls and bodies are the same.
 * `traced: false` marks calls the issue or the spec names for these pages that the read copies did not show.
 */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type Area = 'frame' | 'login' | 'dashboard' | 'rules' | 'aliases' | 'schedules' | 'nat' | 'interfaces' | 'vlans'
  | 'routes' | 'connections' | 'logs' | 'config' | 's3' | 'users' | 'settings';

export type Fixture = 'rule' | 'alias' | 'schedule' | 'nat' | 'vlan' | 'route' | 'user' | 'role';

export interface UiCall {
  method: Method;
  path: string;
  /** Tells apart two calls of one method and path (e.g. a dnat and a masquerade create). */
  variant?: string;
  query?: Record<string, string>;
  body?: Record<string, unknown> | string;
  reads: string[];
  /** Where in the UI source the call is made (aifw-ui/src/...). */
  source: string;
  area: Area;
  /** The id this create answers (data.id, else id) fills the fixture for the calls after it. */
  captures?: Fixture;
  /** A server-sent event stream (reads: one event's data) or the metrics WebSocket. */
  stream?: 'sse' | 'ws';
  /** Claims of the access token the UI decodes (context/AuthContext.tsx, components/AuthGuard.tsx). */
  claims?: string[];
  /** Who calls: the signed-in administrator (default), a fresh session of the administrator (logout), or the TOTP user. */
  as?: 'admin' | 'fresh' | 'totp';
  traced?: false;
}

const RULE_BODY = {
  action: 'pass', direction: 'in', protocol: 'tcp', ip_version: 'inet', interface: '<iface>', src_addr: '10.247.1.0/24',
  src_port_start: null, src_invert: false, dst_addr: 'any', dst_port_start: 443, dst_invert: false, log: false, quick: true,
  label: 'https-in', description: 'web from the lab', gateway: null, schedule_id: null, state_tracking: 'keep_state', status: 'active',
};

export const aifwUiCalls: UiCall[] = [
  // ---- login (app/login/page.tsx): the token it stores is decoded for the permission bitmask and the user
  {
    method: 'POST', path: '/api/v1/auth/login', body: { username: '<admin>', password: '<admin>' }, area: 'login', source: 'app/login/page.tsx, lib/api.ts (api.login)',
    reads: ['tokens.access_token', 'tokens.refresh_token', 'tokens.access_expires_at', 'tokens.refresh_expires_at', 'tokens.token_type', 'totp_required', 'access_token'],
    claims: ['sub', 'username', 'role', 'perm', 'exp'],
  },
  // TOTP enrolment of the signed-in user (secret, provisioning URI for the QR code, recovery codes), then the two-step login.
  { method: 'POST', path: '/api/v1/auth/totp/setup', as: 'totp', reads: ['secret', 'provisioning_uri', 'recovery_codes'], area: 'login', source: 'spec Auth & RBAC (account TOTP enrolment)', traced: false },
  { method: 'POST', path: '/api/v1/auth/totp/verify', as: 'totp', body: { code: '<totp>' }, reads: [], area: 'login', source: 'spec Auth & RBAC (account TOTP enrolment)', traced: false },
  { method: 'POST', path: '/api/v1/auth/login', variant: 'TOTP user', as: 'totp', body: { username: '<totp-user>', password: '<totp-user>' }, reads: ['tokens', 'totp_required'], area: 'login', source: 'app/login/page.tsx (tokens null, totp_required true: the code step)' },
  { method: 'POST', path: '/api/v1/auth/totp/login', as: 'totp', body: { username: '<totp-user>', password: '<totp-user>', totp_code: '<totp>' }, reads: ['access_token'], claims: ['sub', 'username', 'role', 'perm', 'exp'], area: 'login', source: 'app/login/page.tsx (handleTotpLogin)' },

  // ---- the frame of every page (components/Sidebar.tsx, PendingBanner.tsx, context/WsContext.tsx, lib/api.ts)
  { method: 'GET', path: '/api/v1/interfaces', reads: ['data[].name', 'data[].role'], area: 'frame', source: 'components/Sidebar.tsx (per-interface rule links), rules, NAT and routes pages' },
  { method: 'GET', path: '/api/v1/pending', reads: ['firewall', 'nat', 'dns'], area: 'frame', source: 'components/PendingBanner.tsx' },
  { method: 'GET', path: '/api/v1/pending/stream', stream: 'sse', reads: ['firewall', 'nat', 'dns'], area: 'frame', source: 'components/PendingBanner.tsx (EventSource, onmessage data)' },
  { method: 'POST', path: '/api/v1/auth/ws-ticket', reads: ['ticket', 'expires_in_seconds'], area: 'frame', source: 'lib/api.ts (api.wsTicket: POST with Content-Type: application/json and no body)' },
  {
    method: 'GET', path: '/api/v1/ws', query: { ticket: '<ticket>' }, stream: 'ws', area: 'dashboard', source: 'context/WsContext.tsx, app/page.tsx (dashboard), app/blocked/page.tsx',
    // `history`: the first message; `update`: the first status_update after it.
    reads: [
      'history.type', 'history.data', 'update.type',
      'update.status.pf_running', 'update.status.pf_states', 'update.status.pf_rules', 'update.status.aifw_rules', 'update.status.aifw_active_rules',
      'update.status.nat_rules', 'update.status.packets_in', 'update.status.packets_out', 'update.status.bytes_in', 'update.status.bytes_out',
      'update.system.cpu_usage', 'update.system.cpu_cores', 'update.system.memory_total', 'update.system.memory_used', 'update.system.memory_pct',
      'update.system.disks', 'update.system.disk_io.read_kbps', 'update.system.disk_io.write_kbps', 'update.system.uptime_secs', 'update.system.hostname',
      'update.system.os_version', 'update.system.dns_servers', 'update.system.default_gateway', 'update.system.route_count',
      'update.connections', 'update.interfaces', 'update.blocked', 'update.services',
    ],
  },
  { method: 'GET', path: '/api/v1/auth/me', reads: ['id', 'username', 'role'], area: 'frame', source: 'spec Auth & RBAC (the cookie session has no token to decode)', traced: false },
  { method: 'POST', path: '/api/v1/auth/refresh', body: { refresh_token: '<refresh>' }, reads: [], area: 'frame', source: 'lib/api.ts (refreshSession: one rotation on a 401)' },
  {
    method: 'GET', path: '/api/v1/status', area: 'dashboard', source: 'lib/api.ts (api.status)',
    reads: ['pf_running', 'pf_states', 'pf_rules', 'aifw_rules', 'aifw_active_rules', 'nat_rules', 'packets_in', 'packets_out', 'bytes_in', 'bytes_out'],
  },
  {
    method: 'GET', path: '/api/v1/metrics', area: 'dashboard', source: 'lib/api.ts (api.metrics)',
    reads: ['pf_running', 'pf_states_count', 'pf_rules_count', 'pf_packets_in', 'pf_packets_out', 'pf_bytes_in', 'pf_bytes_out', 'aifw_rules_total', 'aifw_rules_active', 'aifw_nat_rules_total'],
  },

  // ---- schedules (app/rules/schedules/page.tsx): created first, the rules page offers them
  { method: 'POST', path: '/api/v1/schedules', body: { name: 'business-hours', description: 'office', time_ranges: ['08:00-17:00'], days_of_week: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], enabled: true }, reads: ['data.id'], captures: 'schedule', area: 'schedules', source: 'app/rules/schedules/page.tsx, lib/api.ts (createSchedule)' },
  { method: 'GET', path: '/api/v1/schedules', reads: ['data[].id', 'data[].name', 'data[].description', 'data[].time_ranges', 'data[].days_of_week', 'data[].enabled'], area: 'schedules', source: 'app/rules/schedules/page.tsx, app/rules/page.tsx (schedule names)' },
  { method: 'PUT', path: '/api/v1/schedules/{schedule}', body: { name: 'business-hours', description: 'office', time_ranges: ['08:00-12:00', '13:00-17:00'], days_of_week: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], enabled: false }, reads: [], area: 'schedules', source: 'app/rules/schedules/page.tsx (edit, enable toggle)' },

  // ---- aliases (app/aliases/page.tsx)
  { method: 'POST', path: '/api/v1/aliases', body: { name: 'lab_nets', alias_type: 'network', entries: ['10.247.0.0/16', '198.51.100.0/24'], description: 'lab', enabled: true }, reads: ['data.id'], captures: 'alias', area: 'aliases', source: 'app/aliases/page.tsx (handleSubmit)' },
  { method: 'GET', path: '/api/v1/aliases', reads: ['data[].id', 'data[].name', 'data[].alias_type', 'data[].entries', 'data[].description', 'data[].enabled', 'data[].created_at', 'data[].updated_at'], area: 'aliases', source: 'app/aliases/page.tsx' },
  { method: 'PUT', path: '/api/v1/aliases/{alias}', body: { name: 'lab_nets', alias_type: 'network', entries: ['10.247.0.0/16'], description: 'lab', enabled: false }, reads: [], area: 'aliases', source: 'app/aliases/page.tsx (edit, enable toggle)' },

  // ---- rules (app/rules/page.tsx, rules/components/*, lib/api/rules.ts)
  { method: 'POST', path: '/api/v1/rules', body: { ...RULE_BODY, schedule_id: '<schedule>' }, reads: ['data.id'], captures: 'rule', area: 'rules', source: 'app/rules/page.tsx (handleSubmit), lib/api/rules.ts (buildRuleBody)' },
  { method: 'POST', path: '/api/v1/rules', variant: 'block', body: { ...RULE_BODY, action: 'block_drop', src_addr: '10.247.1.66', dst_port_start: null, label: 'one-host', log: true }, reads: ['data.id'], area: 'rules', source: 'app/rules/page.tsx (handleSubmit)' },
  {
    method: 'GET', path: '/api/v1/rules', area: 'rules', source: 'app/rules/page.tsx, rules/components/RulesTable.tsx, lib/api/rules.ts (ruleToForm)',
    reads: [
      'data[].id', 'data[].priority', 'data[].action', 'data[].direction', 'data[].protocol', 'data[].ip_version', 'data[].interface',
      'data[].rule_match.src_addr', 'data[].rule_match.src_port', 'data[].rule_match.dst_addr', 'data[].rule_match.dst_port', 'data[].log', 'data[].quick',
      'data[].label', 'data[].description', 'data[].gateway', 'data[].schedule_id', 'data[].state_options.tracking', 'data[].status', 'data[].created_at',
    ],
  },
  { method: 'GET', path: '/api/v1/rules/system', reads: ['data'], area: 'rules', source: 'app/rules/page.tsx, rules/components/SystemRulesPanel.tsx (the loaded ruleset, one line each)' },
  { method: 'PUT', path: '/api/v1/rules/{rule}', body: { ...RULE_BODY, schedule_id: '<schedule>', status: 'disabled' }, reads: [], area: 'rules', source: 'app/rules/page.tsx (handleToggleStatus), lib/api/rules.ts (toggleStatusRequest)' },
  { method: 'PUT', path: '/api/v1/rules/reorder', body: { rule_ids: '<rule_ids>' }, reads: [], area: 'rules', source: 'app/rules/page.tsx (moveRule), lib/api/rules.ts (reorderRules)' },
  { method: 'POST', path: '/api/v1/rules/block-logging', body: { enabled: false }, reads: [], area: 'rules', source: 'app/rules/page.tsx (applyBlockLogging), lib/api/rules.ts (postBlockLogging)' },

  // ---- NAT (app/nat/port-forward, app/nat/outbound, app/nat/page.tsx)
  {
    method: 'POST', path: '/api/v1/nat', variant: 'port forward', captures: 'nat', reads: ['data.id'], area: 'nat', source: 'app/nat/port-forward/page.tsx (handleSubmit)',
    body: { nat_type: 'dnat', interface: '<iface>', protocol: 'tcp', src_addr: 'any', dst_addr: 'any', redirect_addr: '10.247.2.10', status: 'active', dst_port_start: 8443, redirect_port_start: 443, label: 'web' },
  },
  {
    method: 'POST', path: '/api/v1/nat', variant: 'outbound', reads: ['data.id'], area: 'nat', source: 'app/nat/outbound/page.tsx (interface address: masquerade)',
    body: { nat_type: 'masquerade', interface: '<iface>', protocol: 'any', src_addr: '10.247.1.0/24', dst_addr: 'any', redirect_addr: 'interface', status: 'active' },
  },
  {
    method: 'GET', path: '/api/v1/nat', area: 'nat', source: 'lib/api.ts (listNat), app/nat/*',
    reads: ['data[].id', 'data[].nat_type', 'data[].interface', 'data[].protocol', 'data[].src_addr', 'data[].src_port', 'data[].dst_addr', 'data[].dst_port', 'data[].redirect.address', 'data[].redirect.port', 'data[].label', 'data[].status'],
  },
  {
    method: 'PUT', path: '/api/v1/nat/{nat}', reads: [], area: 'nat', source: 'app/nat/port-forward/page.tsx (handleToggleStatus)',
    body: { nat_type: 'dnat', interface: '<iface>', protocol: 'tcp', src_addr: 'any', dst_addr: 'any', redirect_addr: '10.247.2.10', redirect_port_start: 443, label: 'web', status: 'disabled' },
  },
  { method: 'PUT', path: '/api/v1/nat/reorder', body: { rule_ids: '<nat_ids>' }, reads: [], area: 'nat', source: 'app/nat/port-forward/page.tsx, app/nat/outbound/page.tsx (moveRule)' },

  // ---- pending and apply (the frame's banner, the Apply buttons of the rules and NAT pages)
  { method: 'POST', path: '/api/v1/reload', reads: ['message'], area: 'frame', source: 'components/PendingBanner.tsx (applyChanges), lib/api.ts (applyChanges, reload), app/nat/port-forward/page.tsx' },

  // ---- interfaces (app/interfaces/page.tsx)
  {
    method: 'GET', path: '/api/v1/interfaces/detailed', area: 'interfaces', source: 'app/interfaces/page.tsx, app/vlans/page.tsx (parents: is_vlan)',
    reads: [
      'data[].name', 'data[].mac', 'data[].ipv4', 'data[].ipv4_netmask', 'data[].ipv6', 'data[].status', 'data[].mtu', 'data[].media', 'data[].description',
      'data[].is_vlan', 'data[].vlan_id', 'data[].vlan_parent', 'data[].bytes_in', 'data[].bytes_out', 'data[].packets_in', 'data[].packets_out',
      'data[].errors_in', 'data[].errors_out', 'data[].gateway', 'data[].ipv4_mode',
    ],
  },
  { method: 'PUT', path: '/api/v1/interfaces/config/{iface}', body: { mtu: 1500, enabled: true, description: 'lab uplink', ipv4_mode: 'none' }, reads: ['message'], area: 'interfaces', source: 'app/interfaces/page.tsx (handleSave)' },
  { method: 'GET', path: '/api/v1/interfaces/roles', reads: ['data'], area: 'interfaces', source: 'spec Interfaces (role assignments behind the sidebar labels)', traced: false },
  { method: 'PUT', path: '/api/v1/interfaces/{iface}/role', body: { role: 'lan' }, reads: [], area: 'interfaces', source: 'spec Interfaces (set the role)', traced: false },

  // ---- VLANs (app/vlans/page.tsx)
  { method: 'POST', path: '/api/v1/vlans', body: { vlan_id: 247, parent: '<iface>', ipv4_mode: 'static', mtu: 1500, enabled: true, ipv4_address: '10.247.7.1/24', description: 'lab vlan' }, reads: ['data.id'], captures: 'vlan', area: 'vlans', source: 'app/vlans/page.tsx (handleSave)' },
  { method: 'GET', path: '/api/v1/vlans', reads: ['data[].id', 'data[].vlan_id', 'data[].parent', 'data[].ipv4_mode', 'data[].ipv4_address', 'data[].ipv6_address', 'data[].mtu', 'data[].enabled', 'data[].description'], area: 'vlans', source: 'app/vlans/page.tsx' },
  { method: 'PUT', path: '/api/v1/vlans/{vlan}', body: { vlan_id: 247, parent: '<iface>', ipv4_mode: 'static', mtu: 1400, enabled: true, ipv4_address: '10.247.7.1/24', description: 'lab vlan' }, reads: [], area: 'vlans', source: 'app/vlans/page.tsx (edit)' },

  // ---- routes (app/routes/page.tsx)
  { method: 'POST', path: '/api/v1/routes', body: { destination: '10.247.8.0/24', gateway: '10.247.7.254', enabled: true, metric: 100, description: 'lab net' }, reads: ['data.id'], captures: 'route', area: 'routes', source: 'app/routes/page.tsx (handleSubmit)' },
  { method: 'GET', path: '/api/v1/routes', reads: ['data[].id', 'data[].destination', 'data[].gateway', 'data[].interface', 'data[].metric', 'data[].enabled', 'data[].description'], area: 'routes', source: 'app/routes/page.tsx' },
  { method: 'GET', path: '/api/v1/routes/system', reads: ['data[].destination', 'data[].gateway', 'data[].flags', 'data[].interface'], area: 'routes', source: 'app/routes/page.tsx (the kernel table)' },
  { method: 'PUT', path: '/api/v1/routes/{route}', body: { destination: '10.247.8.0/24', gateway: '10.247.7.254', interface: null, metric: 100, enabled: false, description: 'lab net' }, reads: [], area: 'routes', source: 'app/routes/page.tsx (toggleEnabled sends the route back)' },

  // ---- live tables (app/connections/page.tsx, app/blocked/page.tsx, app/logs/page.tsx)
  {
    method: 'GET', path: '/api/v1/connections', area: 'connections', source: 'app/connections/page.tsx, lib/api.ts (listConnections)',
    reads: ['data', 'data[*].id', 'data[*].protocol', 'data[*].src_addr', 'data[*].src_port', 'data[*].dst_addr', 'data[*].dst_port', 'data[*].state', 'data[*].packets_in', 'data[*].packets_out', 'data[*].bytes_in', 'data[*].bytes_out', 'data[*].age_secs'],
  },
  {
    method: 'GET', path: '/api/v1/blocked', area: 'connections', source: 'spec Monitoring (the blocked page reads the same entries from the WebSocket)', traced: false,
    reads: ['data', 'data[*].timestamp', 'data[*].action', 'data[*].direction', 'data[*].interface', 'data[*].protocol', 'data[*].src_addr', 'data[*].src_port', 'data[*].dst_addr', 'data[*].dst_port'],
  },
  { method: 'GET', path: '/api/v1/logs', reads: ['data[].id', 'data[].timestamp', 'data[].action', 'data[].rule_id', 'data[].details', 'data[].source'], area: 'logs', source: 'app/logs/page.tsx, lib/api.ts (listLogs)' },

  // ---- deletes (the pages' trash buttons), before the configuration pages replace what is configured
  { method: 'DELETE', path: '/api/v1/rules/{rule}', reads: ['message'], area: 'rules', source: 'app/rules/page.tsx (handleDelete), lib/api.ts (deleteRule)' },
  { method: 'DELETE', path: '/api/v1/nat/{nat}', reads: ['message'], area: 'nat', source: 'app/nat/* (handleDelete), lib/api.ts (deleteNat)' },
  { method: 'DELETE', path: '/api/v1/aliases/{alias}', reads: [], area: 'aliases', source: 'app/aliases/page.tsx (handleDelete)' },
  { method: 'DELETE', path: '/api/v1/schedules/{schedule}', reads: ['message'], area: 'schedules', source: 'app/rules/schedules/page.tsx (handleDelete), lib/api.ts (deleteSchedule)' },
  { method: 'DELETE', path: '/api/v1/vlans/{vlan}', reads: [], area: 'vlans', source: 'app/vlans/page.tsx (handleDelete)' },
  { method: 'DELETE', path: '/api/v1/routes/{route}', reads: [], area: 'routes', source: 'app/routes/page.tsx (handleDelete)' },

  // ---- configuration history and backup (app/backup/*, lib/api/backup.ts, settings ConfigHistorySection)
  { method: 'POST', path: '/api/v1/config/save', body: { comment: 'before NAT changes' }, reads: ['message'], area: 'config', source: 'app/backup/page.tsx (saveSnapshot), lib/api/backup.ts' },
  {
    method: 'GET', path: '/api/v1/config/history', query: { limit: '100' }, area: 'config', source: 'app/backup/page.tsx, backup/components/HistoryTab.tsx, lib/api/backup.ts (fetchConfigHistory)',
    reads: ['data[].version', 'data[].hash', 'data[].applied', 'data[].applied_at', 'data[].rolled_back', 'data[].created_by', 'data[].created_at', 'data[].comment', 'data[].resource_count'],
  },
  {
    method: 'GET', path: '/api/v1/config/diff', query: { v1: '<v1>', v2: '<v2>' }, area: 'config', source: 'app/backup/page.tsx (loadDiff), backup/components/DiffViewer.tsx',
    reads: [
      'data.v1', 'data.v2', 'data.v1_hash', 'data.v2_hash', 'data.identical', 'data.rules_diff.added', 'data.rules_diff.removed', 'data.rules_diff.v1_count',
      'data.rules_diff.v2_count', 'data.nat_diff.added', 'data.nat_diff.removed', 'data.nat_diff.v1_count', 'data.nat_diff.v2_count', 'data.total_v1', 'data.total_v2',
      'data.v1_json', 'data.v2_json',
    ],
  },
  { method: 'GET', path: '/api/v1/config/check', reads: ['data.valid', 'data.errors', 'data.warnings', 'data.info'], area: 'config', source: 'app/backup/page.tsx (runCheck), backup/components/ConfigCheckTab.tsx' },
  { method: 'GET', path: '/api/v1/config/export', reads: ['config'], area: 'config', source: 'app/backup/page.tsx (handleExport: the file downloaded as JSON, posted back as it is by the import tab)' },
  {
    method: 'POST', path: '/api/v1/config/import-preview', body: '<export>', area: 'config', source: 'backup/components/ExportImportTab.tsx, lib/api/backup.ts (fetchImportPreview)',
    reads: ['interfaces_found', 'interfaces_missing', 'interfaces_present', 'suggestions', 'drop_summary_if_unmapped.rules', 'drop_summary_if_unmapped.nat'],
  },
  { method: 'POST', path: '/api/v1/config/import', body: '<export>', reads: ['message'], area: 'config', source: 'app/backup/page.tsx (handleImport), lib/api/backup.ts (importConfig: the backup with interface_map)' },
  {
    method: 'GET', path: '/api/v1/config/restore-preview', query: { version: '<v1>' }, area: 'config', source: 'backup/components/RestoreMappingModal.tsx, lib/api/backup.ts (fetchRestorePreview)',
    reads: ['interfaces_found', 'interfaces_missing', 'interfaces_present', 'suggestions', 'drop_summary_if_unmapped.rules', 'drop_summary_if_unmapped.nat'],
  },
  { method: 'POST', path: '/api/v1/config/restore', body: { version: '<v2>', interface_map: {} }, reads: ['message'], area: 'config', source: 'app/backup/page.tsx (restore), lib/api/backup.ts (restoreConfigVersion)' },
  { method: 'GET', path: '/api/v1/config/retention', reads: ['max_versions', 'current_count'], area: 'config', source: 'settings/components/ConfigHistorySection.tsx, lib/api/settings.ts (getConfigRetention)' },
  { method: 'PUT', path: '/api/v1/config/retention', body: { max_versions: 500 }, reads: ['max_versions'], area: 'config', source: 'lib/api/settings.ts (saveConfigRetention)' },
  { method: 'POST', path: '/api/v1/config/preview-opnsense', body: { xml: '<xml>', interface_map: {} }, reads: ['valid', 'interfaces_found', 'counts', 'skipped'], area: 'config', source: 'backup/components/OpnsenseImportTab.tsx, lib/api/backup.ts (previewOpnsenseConfig)' },
  // The OPNsense import arms commit-confirm (commit_confirm: true): the status then counts down and confirm keeps it.
  { method: 'POST', path: '/api/v1/config/import-opnsense', body: { xml: '<xml>', interface_map: { lan: '<iface>', wan: '<iface>' }, commit_confirm: true, import_system_settings: false }, reads: ['message'], area: 'config', source: 'lib/api/backup.ts (importOpnsenseConfig)' },
  { method: 'GET', path: '/api/v1/config/commit-confirm/status', reads: ['active', 'seconds_remaining', 'description'], area: 'config', source: 'app/backup/page.tsx (fetchCommitStatus, polled every 5 s), lib/api/backup.ts' },
  { method: 'POST', path: '/api/v1/config/commit-confirm/confirm', reads: ['message'], area: 'config', source: 'app/backup/page.tsx (handleCommitConfirm), lib/api/backup.ts (confirmCommit)' },
  { method: 'POST', path: '/api/v1/config/commit-confirm', body: { timeout_secs: 300, description: 'risky change' }, reads: [], area: 'config', source: 'spec Backup (arm a window; the pending banner counts it down)', traced: false },

  // ---- S3 archive (settings S3BackupSection, backup/components/S3ArchiveTab.tsx)
  { method: 'PUT', path: '/api/v1/backup/s3/config', body: { enabled: true, bucket: 'rampart-edge', region: 'us-east-1', endpoint: '<s3>', prefix: 'lab', path_style: true, access_key_id: 'S3RVER', secret_access_key: 'S3RVER' }, reads: ['has_secret'], area: 's3', source: 'lib/api/settings.ts (saveS3Config)' },
  { method: 'GET', path: '/api/v1/backup/s3/config', reads: ['enabled', 'bucket', 'region', 'endpoint', 'prefix', 'path_style', 'access_key_id', 'has_secret'], area: 's3', source: 'lib/api/settings.ts (getS3Config), settings/components/S3BackupSection.tsx' },
  { method: 'POST', path: '/api/v1/backup/s3/test', body: { enabled: true, bucket: 'rampart-edge', region: 'us-east-1', endpoint: '<s3>', prefix: 'lab', path_style: true, access_key_id: 'S3RVER' }, reads: ['ok', 'message', 'write', 'read', 'delete'], area: 's3', source: 'lib/api/settings.ts (testS3Config)' },
  { method: 'POST', path: '/api/v1/config/save', variant: 'uploaded to S3', body: { comment: 'archived' }, reads: ['message'], area: 's3', source: 'app/backup/page.tsx (saveSnapshot; with S3 on, every snapshot is uploaded)' },
  { method: 'GET', path: '/api/v1/backup/s3/list', query: { max: '1000' }, reads: ['[].key', '[].size', '[].last_modified'], area: 's3', source: 'backup/components/S3ArchiveTab.tsx, lib/api/backup.ts (listS3Archive)' },
  { method: 'POST', path: '/api/v1/backup/s3/import', body: { key: '<s3key>' }, reads: ['message', 'version'], area: 's3', source: 'lib/api/backup.ts (importS3Object)' },

  // ---- users, roles and auth settings (app/users/page.tsx, settings AuthSection)
  { method: 'GET', path: '/api/v1/auth/users', reads: ['data[].id', 'data[].username', 'data[].totp_enabled', 'data[].auth_provider', 'data[].role', 'data[].enabled', 'data[].created_at'], area: 'users', source: 'app/users/page.tsx (fetchUsers)' },
  { method: 'POST', path: '/api/v1/auth/users', body: { username: '<new>', password: '<strong>', role: 'viewer' }, reads: [], captures: 'user', area: 'users', source: 'app/users/page.tsx (handleAddUser)' },
  { method: 'PUT', path: '/api/v1/auth/users/{user}', body: { username: '<user-name>', role: 'operator', enabled: true, password: '<strong>' }, reads: [], area: 'users', source: 'app/users/page.tsx (handleSaveEdit)' },
  { method: 'PUT', path: '/api/v1/auth/users/{user}', variant: 'disable', body: { enabled: false }, reads: [], area: 'users', source: 'app/users/page.tsx (handleToggleEnabled)' },
  { method: 'GET', path: '/api/v1/auth/audit', reads: ['data[].id', 'data[].user_id', 'data[].actor_id', 'data[].action', 'data[].details', 'data[].ip_addr', 'data[].created_at'], area: 'users', source: 'app/users/page.tsx (fetchAudit)' },
  { method: 'GET', path: '/api/v1/auth/roles', reads: ['roles[].id', 'roles[].name', 'roles[].permissions', 'roles[].builtin', 'roles[].description', 'roles[].created_at'], area: 'users', source: 'app/users/page.tsx (fetchRoles)' },
  { method: 'POST', path: '/api/v1/auth/roles', body: { name: '<new>', permissions: ['rules:read', 'nat:read', 'logs:view'], description: 'auditors' }, reads: [], captures: 'role', area: 'users', source: 'app/users/page.tsx (handleCreateRole)' },
  { method: 'PUT', path: '/api/v1/auth/roles/{role}', body: { name: '<role-name>', permissions: ['rules:read', 'nat:read', 'logs:view', 'connections:view'], description: 'auditors' }, reads: [], area: 'users', source: 'app/users/page.tsx (handleSaveRole)' },
  { method: 'GET', path: '/api/v1/auth/settings', reads: ['access_token_expiry_mins', 'require_totp'], area: 'settings', source: 'lib/api/settings.ts (getAuthSettings), settings/components/AuthSection.tsx' },
  { method: 'PUT', path: '/api/v1/auth/settings', body: { access_token_expiry_mins: 480, require_totp: false }, reads: [], area: 'settings', source: 'lib/api/settings.ts (saveAuthSettings)' },

  // ---- last: the users page's deletes, TOTP off, sign-out
  { method: 'DELETE', path: '/api/v1/auth/users/{user}', reads: [], area: 'users', source: 'app/users/page.tsx (handleDelete)' },
  { method: 'DELETE', path: '/api/v1/auth/roles/{role}', reads: [], area: 'users', source: 'app/users/page.tsx (role delete)' },
  { method: 'POST', path: '/api/v1/auth/totp/disable', as: 'totp', body: { code: '<totp>' }, reads: [], area: 'login', source: 'spec Auth & RBAC (account TOTP)', traced: false },
  { method: 'POST', path: '/api/v1/auth/logout', as: 'fresh', reads: [], area: 'frame', source: 'the sign-out of the frame (ends the calling session)' },
];

/** A call's identity in lists: "METHOD /path" (with its variant in brackets). */
export const callKey = (call: Pick<UiCall, 'method' | 'path' | 'variant'>) => `${call.method} ${call.path}${call.variant ? ` [${call.variant}]` : ''}`;

/** A small OPNsense config.xml: two interfaces, a VLAN, an alias, a pass rule, a port forward and an outbound NAT. */
export const OPNSENSE_SAMPLE = `<?xml version="1.0"?>
<opnsense>
  <system><hostname>lab-fw</hostname><domain>lab.example</domain><timezone>Etc/UTC</timezone></system>
  <interfaces>
    <wan><if>vtnet0</if><enable>1</enable><ipaddr>dhcp</ipaddr></wan>
    <lan><if>vtnet1</if><enable>1</enable><ipaddr>10.247.10.1</ipaddr><subnet>24</subnet></lan>
  </interfaces>
  <vlans><vlan><if>vtnet1</if><tag>248</tag><descr>guests</descr><vlanif>vtnet1_vlan248</vlanif></vlan></vlans>
  <OPNsense><Firewall><Alias><aliases>
    <alias uuid="a1"><enabled>1</enabled><name>opn_hosts</name><type>host</type><content>10.247.10.5
10.247.10.6</content><description>imported</description></alias>
  </aliases></Alias></Firewall></OPNsense>
  <filter>
    <rule><type>pass</type><interface>lan</interface><ipprotocol>inet</ipprotocol><protocol>tcp</protocol>
      <source><address>opn_hosts</address></source><destination><any/><port>443</port></destination><descr>https out</descr></rule>
  </filter>
  <nat>
    <rule><interface>wan</interface><protocol>tcp</protocol><target>10.247.10.5</target><local-port>22</local-port>
      <source><any/></source><destination><network>wanip</network><port>2222</port></destination><descr>ssh in</descr></rule>
    <outbound><mode>hybrid</mode><rule><interface>wan</interface><source><network>10.247.10.0/24</network></source>
      <destination><any/></destination><target/><descr>lan out</descr></rule></outbound>
  </nat>
  <staticroutes><route><network>10.247.11.0/24</network><gateway>LAN_GW</gateway><descr>lab</descr></route></staticroutes>
</opnsense>
`;

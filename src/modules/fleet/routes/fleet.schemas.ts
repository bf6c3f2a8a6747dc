import { z } from 'zod';

/** Response schemas shared by the fleet routes (the OpenAPI document and the console's types come from them). */
const ts = z.string().describe('RFC 3339 timestamp');

export const hostSchema = z.object({
  id: z.string().uuid(),
  hostname: z.string(),
  ip_address: z.string(),
  port: z.number().int(),
  display_name: z.string().nullable(),
  description: z.string().nullable(),
  environment: z.string(),
  tags: z.array(z.string()),
  group_id: z.string().nullable(),
  username: z.string().nullable(),
  maintenance_mode: z.boolean(),
  check_priority: z.number().int(),
  os_family: z.string().nullable(),
  os_version: z.string().nullable(),
  architecture: z.string().nullable(),
  platform_identifier: z.string().nullable(),
  os_discovered_at: ts.nullable(),
  target_framework: z.string().nullable(),
  created_by: z.string().nullable(),
  created_at: ts,
  updated_at: ts,
});

export const monitoringState = z.enum(['online', 'degraded', 'critical', 'down', 'maintenance', 'unknown']);
export const reachabilityStatus = z.enum(['reachable', 'unreachable', 'unknown']);

const count = z.number().int();
export const livenessSchema = z.object({
  reachability_status: reachabilityStatus,
  monitoring_state: monitoringState,
  consecutive_failures: count.describe('consecutive probes the SSH layer did not pass'),
  ping_consecutive_failures: count,
  ping_consecutive_successes: count,
  ssh_consecutive_failures: count,
  ssh_consecutive_successes: count,
  privilege_consecutive_failures: count,
  privilege_consecutive_successes: count,
  last_probe_at: ts.nullable(),
  last_response_ms: count.nullable(),
  last_state_change_at: ts.nullable(),
  last_error_type: z.string().nullable(),
  last_error: z.string().nullable(),
  privilege: z.string().nullable().describe('root, sudo_nopasswd, sudo_password or none, as the last SSH probe found'),
  next_probe_at: ts.nullable(),
});

export const complianceSummarySchema = z.object({
  passing: z.number().int(),
  failing: z.number().int(),
  skipped: z.number().int(),
  error: z.number().int(),
  total: z.number().int(),
  critical_failing: z.number().int(),
});

export const scanState = z.enum(['queued', 'running']).nullable();

export const hostListItemSchema = hostSchema.extend({
  liveness: livenessSchema.nullable().describe('null until the host is first probed'),
  compliance_summary: complianceSummarySchema.nullable().describe('null until the host is first scanned'),
  last_scan_at: ts.nullable(),
  latest_scan_id: z.string().nullable(),
  scan_state: scanState,
});

export const hostDetailSchema = z.object({
  host: hostSchema,
  liveness: livenessSchema.nullable(),
  compliance_summary: complianceSummarySchema,
  last_scan_at: ts.nullable(),
  latest_scan_id: z.string().nullable(),
  scan_state: scanState,
});

export const credentialSchema = z.object({
  id: z.string().uuid(),
  scope: z.enum(['system', 'host']),
  scope_id: z.string().nullable(),
  name: z.string(),
  description: z.string().nullable(),
  username: z.string(),
  auth_method: z.enum(['ssh_key', 'password', 'both']),
  ssh_key_fingerprint: z.string().nullable(),
  ssh_key_type: z.string().nullable(),
  ssh_key_bits: z.number().int().nullable(),
  ssh_key_comment: z.string().nullable(),
  is_default: z.boolean(),
  is_active: z.boolean(),
  created_by: z.string().nullable(),
  created_at: ts,
  updated_at: ts,
});

/** The errors every fleet route can answer, documented once. */
export const notFound = (what: string) => ({ 404: { description: `no such ${what} (or it was deleted)` } });
export const createdBy = (principal: { type: string; id: string } | null) => (principal?.type === 'user' ? principal.id : null);

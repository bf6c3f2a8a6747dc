import type { FleetHostRow } from './hosts.tables.js';

/** A host as the API shows it (OpenWatch's Host schema): its row, tags parsed, the flag a boolean, no deleted_at. */
export type HostView = Omit<FleetHostRow, 'tags' | 'maintenance_mode' | 'deleted_at'> & { tags: string[]; maintenance_mode: boolean };

export interface ComplianceSummary {
  passing: number;
  failing: number;
  skipped: number;
  error: number;
  total: number;
  critical_failing: number;
}

/** What the scans part knows of a host: filled through the fleet services' complianceOf hook. */
export interface HostCompliance {
  compliance_summary: ComplianceSummary;
  last_scan_at: string | null;
  latest_scan_id: string | null;
  scan_state: 'queued' | 'running' | null;
}

export const noCompliance = (): HostCompliance => ({
  compliance_summary: { passing: 0, failing: 0, skipped: 0, error: 0, total: 0, critical_failing: 0 },
  last_scan_at: null,
  latest_scan_id: null,
  scan_state: null,
});

/** Compliance of many hosts at once (a list page); hosts missing from the map have no scan yet. */
export type ComplianceProvider = (hostIds: string[], framework: string | undefined) => Promise<Map<string, HostCompliance>>;

export function toHostView(row: FleetHostRow, fromJson: <T>(v: unknown) => T, fromBool: (v: unknown) => boolean): HostView {
  return {
    id: row.id,
    hostname: row.hostname,
    ip_address: row.ip_address,
    port: row.port,
    display_name: row.display_name,
    description: row.description,
    environment: row.environment,
    tags: fromJson<string[]>(row.tags) ?? [],
    group_id: row.group_id,
    username: row.username,
    maintenance_mode: fromBool(row.maintenance_mode),
    check_priority: row.check_priority,
    os_family: row.os_family,
    os_version: row.os_version,
    architecture: row.architecture,
    platform_identifier: row.platform_identifier,
    os_discovered_at: row.os_discovered_at,
    target_framework: row.target_framework,
    created_by: row.created_by,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

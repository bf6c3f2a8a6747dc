import type { Page, PageRequest } from '../../../core/db/paginate.js';
import type { LivenessView } from '../liveness/liveness.service.js';
import type { HostFilter, HostService } from './host.service.js';
import { toHostView, type ComplianceProvider, type ComplianceSummary, type HostCompliance, type HostView } from './host.view.js';
import type { FleetHostRow } from './hosts.tables.js';

export interface HostListQuery extends HostFilter {
  /** Counts the summary under this framework's rules only. */
  framework?: string;
}

/** A host as the list shows it (OpenWatch's HostListItem): the host, its liveness and its compliance columns. */
export type HostListItem = HostView & {
  liveness: LivenessView | null;
  compliance_summary: ComplianceSummary | null;
  last_scan_at: string | null;
  latest_scan_id: string | null;
  scan_state: 'queued' | 'running' | null;
};

/** A host with what the other parts know of it; compliance undefined until it is first scanned. */
export interface EnrichedHost {
  view: HostView;
  liveness: LivenessView | null;
  compliance: HostCompliance | undefined;
}

export interface HostListDeps {
  hosts: Pick<HostService, 'listRows' | 'pageRows' | 'rowsByIds'>;
  /** The liveness part's views of these hosts. */
  livenessOf: (rows: FleetHostRow[]) => Promise<Map<string, LivenessView | null>>;
  /** The scans part's compliance columns (read at each call: the fleet hooks can be rewired). */
  complianceOf: ComplianceProvider;
  fromJson: <T>(v: unknown) => T;
  fromBool: (v: unknown) => boolean;
}

/**
 * The host list and detail: hosts read in one query (a page of them, sliced in SQL, when asked), then their liveness
 * and compliance in one query each for all of them, never a query per host.
 */
export function createHostList(deps: HostListDeps) {
  const view = (row: FleetHostRow) => toHostView(row, deps.fromJson, deps.fromBool);
  const columnsOf = (rows: FleetHostRow[], framework: string | undefined) =>
    Promise.all([deps.livenessOf(rows), deps.complianceOf(rows.map((r) => r.id), framework)]);

  /** A host never scanned has no summary yet (null), as OpenWatch lists it. */
  const item = (host: HostView, liveness: LivenessView | null, compliance: HostCompliance | undefined): HostListItem =>
    Object.assign(host, {
      liveness,
      compliance_summary: compliance?.compliance_summary ?? null,
      last_scan_at: compliance?.last_scan_at ?? null,
      latest_scan_id: compliance?.latest_scan_id ?? null,
      scan_state: compliance?.scan_state ?? null,
    });

  return {
    async enrich(rows: FleetHostRow[], framework: string | undefined): Promise<EnrichedHost[]> {
      const [live, compliance] = await columnsOf(rows, framework);
      return rows.map((row) => ({ view: view(row), liveness: live.get(row.id) ?? null, compliance: compliance.get(row.id) }));
    },

    /** These hosts' list items (no framework lens), in the order given. */
    async items(rows: FleetHostRow[]): Promise<HostListItem[]> {
      const [live, compliance] = await columnsOf(rows, undefined);
      return rows.map((row) => item(view(row), live.get(row.id) ?? null, compliance.get(row.id)));
    },

    /** Every matching host, or one page of them; total counts every match either way. */
    async list(query: HostListQuery, page?: PageRequest): Promise<Page<HostListItem>> {
      const filter = { environment: query.environment, tag: query.tag };
      const rows = page ? await deps.hosts.pageRows(filter, page) : await deps.hosts.listRows(filter).then((items) => ({ items, total: items.length }));
      const [live, compliance] = await columnsOf(rows.items, query.framework);
      return { items: rows.items.map((row) => item(view(row), live.get(row.id) ?? null, compliance.get(row.id))), total: rows.total };
    },
  };
}

export type HostList = ReturnType<typeof createHostList>;

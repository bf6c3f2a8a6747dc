import { useQuery } from '@tanstack/react-query';
import { data, v1 } from '../../app/api/client';

export type ActorType = 'user' | 'api_key' | 'service_account' | 'device' | 'system' | 'anonymous';
export interface AuditFilters {
  action?: string;
  correlation_id?: string;
  actor_type?: ActorType;
  since?: string;
  until?: string;
}
export type AuditEvent = Awaited<ReturnType<typeof fetchPage>>['items'][number];

export const PAGE_SIZE = 50;
/** An export stops here: a larger trail is for the API (or a narrower filter), not a browser download. */
export const EXPORT_MAX = 10_000;

function fetchPage(filters: AuditFilters, cursor: string | undefined, limit = PAGE_SIZE) {
  return data(v1.GET('/api/v1/audit/events', { params: { query: { ...filters, limit, ...(cursor ? { cursor } : {}) } } }));
}

export function useAuditPage(filters: AuditFilters, cursor: string | undefined) {
  return useQuery({ queryKey: ['audit', 'events', filters, cursor], queryFn: () => fetchPage(filters, cursor), placeholderData: (p) => p });
}

/** Every event the filters match, newest first, following the cursor up to EXPORT_MAX. */
export async function fetchAll(filters: AuditFilters): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(filters, cursor, 200);
    out.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor && out.length < EXPORT_MAX);
  return out.slice(0, EXPORT_MAX);
}

const CSV_COLUMNS = ['occurred_at', 'action', 'result', 'actor_type', 'actor_name', 'actor_id', 'resource_type', 'resource_id', 'client_ip', 'correlation_id', 'details'] as const;

/** RFC 4180 CSV; a cell starting with = + - @ is prefixed with ' so a spreadsheet never runs it as a formula. */
export function toCsv(events: AuditEvent[]): string {
  const cell = (v: unknown) => {
    let s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [CSV_COLUMNS.join(','), ...events.map((e) => CSV_COLUMNS.map((c) => cell(e[c])).join(','))].join('\r\n') + '\r\n';
}

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { CSRF_HEADER, csrfToken } from '../../app/api/client';
import { apiErrorOf } from '../../app/api/errors';
import type {
  Alias, BlockedEntry, CommitConfirmStatus, ConfigDiff, ConfigVersion, Connection, InterfaceDetail, InterfaceSummary, LogEntry,
  NatBody, NatRule, Pending, RestorePreview, Rule, RuleBody, Schedule, StaticRoute, SystemRoute, Vlan,
} from './model';

export const EDGE = ['edge'] as const;

/**
 * The edge surface (AiFw's API under /api/v1) with the session cookie and the CSRF header, failing with the one
 * ApiError of the console. AiFw's bodies: lists in {data}, creates in {data}, actions {message}.
 */
async function call<T>(method: string, path: string, body?: unknown, query?: Record<string, string | number | undefined>): Promise<T> {
  const q = Object.entries(query ?? {}).filter(([, v]) => v !== undefined && v !== '');
  const url = q.length ? `${path}?${new URLSearchParams(q.map(([k, v]) => [k, String(v)])).toString()}` : path;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') {
    const token = csrfToken();
    if (token) headers[CSRF_HEADER] = token;
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = undefined;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = text; }
  if (!res.ok) throw apiErrorOf(res.status, typeof parsed === 'string' ? { error: parsed } : parsed, res.headers.get('x-correlation-id') ?? undefined);
  return parsed as T;
}

const dataOf = async <T>(p: Promise<{ data: T }>) => (await p).data;

export const edge = {
  get: <T>(path: string, query?: Record<string, string | number | undefined>) => call<T>('GET', path, undefined, query),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body),
  put: <T>(path: string, body?: unknown) => call<T>('PUT', path, body),
  delete: <T>(path: string) => call<T>('DELETE', path),
};

const id = (s: string) => encodeURIComponent(s);

// ---- reads
export const useRules = () => useQuery({ queryKey: [...EDGE, 'rules'], queryFn: () => dataOf(edge.get<{ data: Rule[] }>('/api/v1/rules')) });
export const useAliases = () => useQuery({ queryKey: [...EDGE, 'aliases'], queryFn: () => dataOf(edge.get<{ data: Alias[] }>('/api/v1/aliases')) });
export const useSchedules = () => useQuery({ queryKey: [...EDGE, 'schedules'], queryFn: () => dataOf(edge.get<{ data: Schedule[] }>('/api/v1/schedules')) });
export const useNat = () => useQuery({ queryKey: [...EDGE, 'nat'], queryFn: () => dataOf(edge.get<{ data: NatRule[] }>('/api/v1/nat')) });
export const useInterfaces = () => useQuery({ queryKey: [...EDGE, 'interfaces'], queryFn: () => dataOf(edge.get<{ data: InterfaceSummary[] }>('/api/v1/interfaces')) });
export const useInterfacesDetailed = () =>
  useQuery({ queryKey: [...EDGE, 'interfaces', 'detailed'], queryFn: () => dataOf(edge.get<{ data: InterfaceDetail[] }>('/api/v1/interfaces/detailed')), refetchInterval: 10_000 });
export const useVlans = () => useQuery({ queryKey: [...EDGE, 'vlans'], queryFn: () => dataOf(edge.get<{ data: Vlan[] }>('/api/v1/vlans')) });
export const useRoutes = () => useQuery({ queryKey: [...EDGE, 'routes'], queryFn: () => dataOf(edge.get<{ data: StaticRoute[] }>('/api/v1/routes')) });
export const useSystemRoutes = () => useQuery({ queryKey: [...EDGE, 'routes', 'system'], queryFn: () => dataOf(edge.get<{ data: SystemRoute[] }>('/api/v1/routes/system')) });
export const useConnections = (limit: number, offset: number, live: boolean) =>
  useQuery({
    queryKey: [...EDGE, 'connections', limit, offset],
    queryFn: () => edge.get<{ data: Connection[]; total?: number }>('/api/v1/connections', { limit, offset }),
    refetchInterval: live ? 3000 : false,
    placeholderData: (previous) => previous,
  });
export const useBlocked = (live: boolean) =>
  useQuery({ queryKey: [...EDGE, 'blocked'], queryFn: () => dataOf(edge.get<{ data: BlockedEntry[] }>('/api/v1/blocked', { limit: 500 })), refetchInterval: live ? 5000 : false });
export const useLogs = (limit: number, offset: number) =>
  useQuery({
    queryKey: [...EDGE, 'logs', limit, offset],
    queryFn: () => edge.get<{ data: LogEntry[]; total?: number }>('/api/v1/logs', { limit, offset }),
    refetchInterval: 10_000,
    placeholderData: (previous) => previous,
  });
export const usePending = () => useQuery({ queryKey: [...EDGE, 'pending'], queryFn: () => edge.get<Pending>('/api/v1/pending'), refetchInterval: 5000 });
export const useCommitConfirm = () =>
  useQuery({ queryKey: [...EDGE, 'commit-confirm'], queryFn: () => edge.get<CommitConfirmStatus>('/api/v1/config/commit-confirm/status'), refetchInterval: 5000 });
export const useConfigHistory = () =>
  useQuery({ queryKey: [...EDGE, 'config', 'history'], queryFn: () => dataOf(edge.get<{ data: ConfigVersion[] }>('/api/v1/config/history', { limit: 200 })) });
export const useConfigDiff = (v1: number | null, v2: number | null) =>
  useQuery({
    queryKey: [...EDGE, 'config', 'diff', v1, v2],
    queryFn: () => dataOf(edge.get<{ data: ConfigDiff }>('/api/v1/config/diff', { v1: v1!, v2: v2! })),
    enabled: v1 !== null && v2 !== null && v1 !== v2,
  });
export const useRestorePreview = (version: number | null) =>
  useQuery({
    queryKey: [...EDGE, 'config', 'restore-preview', version],
    queryFn: () => edge.get<RestorePreview>('/api/v1/config/restore-preview', { version: version! }),
    enabled: version !== null,
  });

// ---- writes
export const calls = {
  createRule: (b: RuleBody) => edge.post<{ data: Rule }>('/api/v1/rules', b),
  updateRule: (ruleId: string, b: RuleBody) => edge.put<{ data: Rule }>(`/api/v1/rules/${id(ruleId)}`, b),
  deleteRule: (ruleId: string) => edge.delete(`/api/v1/rules/${id(ruleId)}`),
  reorderRules: (ruleIds: string[]) => edge.put('/api/v1/rules/reorder', { rule_ids: ruleIds }),
  saveAlias: ({ aliasId, body }: { aliasId?: string; body: Omit<Alias, 'id' | 'created_at' | 'updated_at'> }) =>
    aliasId ? edge.put(`/api/v1/aliases/${id(aliasId)}`, body) : edge.post('/api/v1/aliases', body),
  deleteAlias: (aliasId: string) => edge.delete(`/api/v1/aliases/${id(aliasId)}`),
  saveSchedule: ({ scheduleId, body }: { scheduleId?: string; body: Omit<Schedule, 'id' | 'created_at'> }) =>
    scheduleId ? edge.put(`/api/v1/schedules/${id(scheduleId)}`, body) : edge.post('/api/v1/schedules', body),
  deleteSchedule: (scheduleId: string) => edge.delete(`/api/v1/schedules/${id(scheduleId)}`),
  saveNat: ({ natId, body }: { natId?: string; body: NatBody }) => (natId ? edge.put(`/api/v1/nat/${id(natId)}`, body) : edge.post('/api/v1/nat', body)),
  deleteNat: (natId: string) => edge.delete(`/api/v1/nat/${id(natId)}`),
  reorderNat: (ruleIds: string[]) => edge.put('/api/v1/nat/reorder', { rule_ids: ruleIds }),
  configureInterface: ({ name, body }: { name: string; body: Record<string, unknown> }) => edge.put<{ message?: string }>(`/api/v1/interfaces/config/${id(name)}`, body),
  setRole: ({ name, role }: { name: string; role: string }) => edge.put(`/api/v1/interfaces/${id(name)}/role`, { role }),
  saveVlan: ({ vlanId, body }: { vlanId?: string; body: Omit<Vlan, 'id'> }) => (vlanId ? edge.put(`/api/v1/vlans/${id(vlanId)}`, body) : edge.post('/api/v1/vlans', body)),
  deleteVlan: (vlanId: string) => edge.delete(`/api/v1/vlans/${id(vlanId)}`),
  saveRoute: ({ routeId, body }: { routeId?: string; body: Omit<StaticRoute, 'id'> }) =>
    routeId ? edge.put(`/api/v1/routes/${id(routeId)}`, body) : edge.post('/api/v1/routes', body),
  deleteRoute: (routeId: string) => edge.delete(`/api/v1/routes/${id(routeId)}`),
  reload: () => edge.post<{ message?: string }>('/api/v1/reload'),
  armCommitConfirm: (timeoutSecs: number, description: string) => edge.post('/api/v1/config/commit-confirm', { timeout_secs: timeoutSecs, description }),
  confirmCommit: () => edge.post<{ message?: string }>('/api/v1/config/commit-confirm/confirm'),
  saveSnapshot: (comment: string | null) => edge.post<{ message?: string }>('/api/v1/config/save', { comment }),
  restore: ({ version, interfaceMap }: { version: number; interfaceMap: Record<string, string | null> }) =>
    edge.post<{ message?: string }>('/api/v1/config/restore', { version, interface_map: interfaceMap }),
};

/** A write that refreshes the edge's queries (the pending banner among them) and says how it went. */
export function useEdgeAction<A, R = unknown>(run: (arg: A) => Promise<R>, done?: string | ((r: R) => string)) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: (r) => {
      if (done) notifications.show({ color: 'teal', message: typeof done === 'function' ? done(r) : done, closeButtonProps: { 'aria-label': 'Dismiss' } });
      return client.invalidateQueries({ queryKey: EDGE });
    },
    onError: (err) => {
      notifications.show({ color: 'red', title: 'That did not work', message: err.message, closeButtonProps: { 'aria-label': 'Dismiss' } });
      return client.invalidateQueries({ queryKey: EDGE });
    },
  });
}

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { data, v1 } from '../../app/api/client';
import type { AliasBody, InterfaceConfigBody, NatBody, RouteBody, RuleBody, ScheduleBody, VlanBody } from './model';

export const EDGE = ['edge'] as const;

/**
 * The edge surface (AiFw's API under /api/v1) through the console's generated client: the session cookie, the
 * CSRF header and the one ApiError of the console come with it, and every path, query and answer is typed from
 * Rampart's OpenAPI document. AiFw's bodies: lists in {data}, creates in {data}, actions {message}.
 */
/** The `data` of an AiFw answer ({"data": ...}). */
const dataOf = async <T>(call: Promise<{ data?: { data: T } }>): Promise<T> => (await data(call)).data;
const path = <K extends string>(key: K, value: string) => ({ params: { path: { [key]: value } as Record<K, string> } });

// ---- reads
/** GET /api/v1/rules is shared with the fleet surface (its rules and total); the edge answers data. */
export const useRules = () => useQuery({ queryKey: [...EDGE, 'rules'], queryFn: async () => (await data(v1.GET('/api/v1/rules'))).data ?? [] });
export const useAliases = () => useQuery({ queryKey: [...EDGE, 'aliases'], queryFn: () => dataOf(v1.GET('/api/v1/aliases')) });
export const useSchedules = () => useQuery({ queryKey: [...EDGE, 'schedules'], queryFn: () => dataOf(v1.GET('/api/v1/schedules')) });
export const useNat = () => useQuery({ queryKey: [...EDGE, 'nat'], queryFn: () => dataOf(v1.GET('/api/v1/nat')) });
export const useInterfaces = () => useQuery({ queryKey: [...EDGE, 'interfaces'], queryFn: () => dataOf(v1.GET('/api/v1/interfaces')) });
export const useInterfacesDetailed = () =>
  useQuery({ queryKey: [...EDGE, 'interfaces', 'detailed'], queryFn: () => dataOf(v1.GET('/api/v1/interfaces/detailed')), refetchInterval: 10_000 });
export const useVlans = () => useQuery({ queryKey: [...EDGE, 'vlans'], queryFn: () => dataOf(v1.GET('/api/v1/vlans')) });
export const useRoutes = () => useQuery({ queryKey: [...EDGE, 'routes'], queryFn: () => dataOf(v1.GET('/api/v1/routes')) });
export const useSystemRoutes = () => useQuery({ queryKey: [...EDGE, 'routes', 'system'], queryFn: () => dataOf(v1.GET('/api/v1/routes/system')) });
export const useConnections = (limit: number, offset: number, live: boolean) =>
  useQuery({
    queryKey: [...EDGE, 'connections', limit, offset],
    queryFn: () => data(v1.GET('/api/v1/connections', { params: { query: { limit, offset } } })),
    refetchInterval: live ? 3000 : false,
    placeholderData: (previous) => previous,
  });
export const useBlocked = (live: boolean) =>
  useQuery({ queryKey: [...EDGE, 'blocked'], queryFn: () => dataOf(v1.GET('/api/v1/blocked', { params: { query: { limit: 500 } } })), refetchInterval: live ? 5000 : false });
export const useLogs = (limit: number, offset: number) =>
  useQuery({
    queryKey: [...EDGE, 'logs', limit, offset],
    queryFn: () => data(v1.GET('/api/v1/logs', { params: { query: { limit, offset } } })),
    refetchInterval: 10_000,
    placeholderData: (previous) => previous,
  });
export const usePending = () => useQuery({ queryKey: [...EDGE, 'pending'], queryFn: () => data(v1.GET('/api/v1/pending')), refetchInterval: 5000 });
export const useCommitConfirm = () =>
  useQuery({ queryKey: [...EDGE, 'commit-confirm'], queryFn: () => data(v1.GET('/api/v1/config/commit-confirm/status')), refetchInterval: 5000 });
export const useConfigHistory = () =>
  useQuery({ queryKey: [...EDGE, 'config', 'history'], queryFn: () => dataOf(v1.GET('/api/v1/config/history', { params: { query: { limit: 200 } } })) });
export const useConfigDiff = (from: number | null, to: number | null) =>
  useQuery({
    queryKey: [...EDGE, 'config', 'diff', from, to],
    queryFn: () => dataOf(v1.GET('/api/v1/config/diff', { params: { query: { v1: from!, v2: to! } } })),
    enabled: from !== null && to !== null && from !== to,
  });
export const useRestorePreview = (version: number | null) =>
  useQuery({
    queryKey: [...EDGE, 'config', 'restore-preview', version],
    queryFn: () => data(v1.GET('/api/v1/config/restore-preview', { params: { query: { version: version! } } })),
    enabled: version !== null,
  });

// ---- writes
export const calls = {
  createRule: (body: RuleBody) => data(v1.POST('/api/v1/rules', { body })),
  updateRule: (ruleId: string, body: RuleBody) => data(v1.PUT('/api/v1/rules/{id}', { ...path('id', ruleId), body })),
  deleteRule: (ruleId: string) => data(v1.DELETE('/api/v1/rules/{id}', path('id', ruleId))),
  reorderRules: (ruleIds: string[]) => data(v1.PUT('/api/v1/rules/reorder', { body: { rule_ids: ruleIds } })),
  saveAlias: ({ aliasId, body }: { aliasId?: string; body: AliasBody }) =>
    aliasId ? data(v1.PUT('/api/v1/aliases/{id}', { ...path('id', aliasId), body })) : data(v1.POST('/api/v1/aliases', { body })),
  deleteAlias: (aliasId: string) => data(v1.DELETE('/api/v1/aliases/{id}', path('id', aliasId))),
  saveSchedule: ({ scheduleId, body }: { scheduleId?: string; body: ScheduleBody }) =>
    scheduleId ? data(v1.PUT('/api/v1/schedules/{id}', { ...path('id', scheduleId), body })) : data(v1.POST('/api/v1/schedules', { body })),
  deleteSchedule: (scheduleId: string) => data(v1.DELETE('/api/v1/schedules/{id}', path('id', scheduleId))),
  saveNat: ({ natId, body }: { natId?: string; body: NatBody }) =>
    natId ? data(v1.PUT('/api/v1/nat/{id}', { ...path('id', natId), body })) : data(v1.POST('/api/v1/nat', { body })),
  deleteNat: (natId: string) => data(v1.DELETE('/api/v1/nat/{id}', path('id', natId))),
  reorderNat: (ruleIds: string[]) => data(v1.PUT('/api/v1/nat/reorder', { body: { rule_ids: ruleIds } })),
  configureInterface: ({ name, body }: { name: string; body: InterfaceConfigBody }) =>
    data(v1.PUT('/api/v1/interfaces/config/{name}', { ...path('name', name), body })),
  setRole: ({ name, role }: { name: string; role: string }) => data(v1.PUT('/api/v1/interfaces/{name}/role', { ...path('name', name), body: { role } })),
  saveVlan: ({ vlanId, body }: { vlanId?: string; body: VlanBody }) =>
    vlanId ? data(v1.PUT('/api/v1/vlans/{id}', { ...path('id', vlanId), body })) : data(v1.POST('/api/v1/vlans', { body })),
  deleteVlan: (vlanId: string) => data(v1.DELETE('/api/v1/vlans/{id}', path('id', vlanId))),
  saveRoute: ({ routeId, body }: { routeId?: string; body: RouteBody }) =>
    routeId ? data(v1.PUT('/api/v1/routes/{id}', { ...path('id', routeId), body })) : data(v1.POST('/api/v1/routes', { body })),
  deleteRoute: (routeId: string) => data(v1.DELETE('/api/v1/routes/{id}', path('id', routeId))),
  reload: () => data(v1.POST('/api/v1/reload')),
  armCommitConfirm: (timeoutSecs: number, description: string) =>
    data(v1.POST('/api/v1/config/commit-confirm', { body: { timeout_secs: timeoutSecs, description } })),
  confirmCommit: () => data(v1.POST('/api/v1/config/commit-confirm/confirm')),
  saveSnapshot: (comment: string | null) => data(v1.POST('/api/v1/config/save', { body: { comment } })),
  restore: ({ version, interfaceMap }: { version: number; interfaceMap: Record<string, string | null> }) =>
    data(v1.POST('/api/v1/config/restore', { body: { version, interface_map: interfaceMap } })),
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

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { access, data } from '../../app/api/client';
import type { paths } from '../../app/api/generated/access';
import { useCan } from '../../app/auth/session';
import type { Channel, DeviceAction, GeneratedToken, Pool, PoolInput, PublishInput, TokenInput } from './model';

/** Every access query sits under this key, so a write refreshes what the pages show. */
export const ACCESS = ['access'] as const;
export const PAGE_SIZE = 50;
/** Gateways heartbeat and sessions meter every few seconds; asking again this often keeps the pages current. */
const LIVE_MS = 10_000;

// Devices
type Query<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;
export type DeviceFilters = Omit<Query<'/v1/admin/devices'>, 'limit' | 'cursor'>;
export const useDevices = (filters: DeviceFilters, cursor?: string) =>
  useQuery({
    queryKey: [...ACCESS, 'devices', filters, cursor],
    queryFn: () => data(access.GET('/v1/admin/devices', { params: { query: { ...filters, limit: String(PAGE_SIZE), cursor } } })),
    placeholderData: keepPreviousData,
    refetchInterval: LIVE_MS,
  });
type Lifecycle = { action: DeviceAction; device_id: string; reason?: string; channel?: Channel };
export const deviceCalls = {
  lifecycle: (body: Lifecycle) => data(access.POST('/v1/admin/devices/lifecycle', { body })),
  batch: (body: Omit<Lifecycle, 'device_id'> & { device_ids: string[] }) => data(access.POST('/v1/admin/devices/batch', { body })),
};

// Enrollment tokens
export type TokenFilters = Omit<Query<'/v1/admin/tokens'>, 'limit' | 'cursor'>;
export const useTokens = (filters: TokenFilters, cursor?: string) =>
  useQuery({
    queryKey: [...ACCESS, 'tokens', filters, cursor],
    queryFn: () => data(access.GET('/v1/admin/tokens', { params: { query: { ...filters, limit: String(PAGE_SIZE), cursor } } })),
    placeholderData: keepPreviousData,
  });
export const tokenCalls = {
  generate: (body: TokenInput) => data(access.POST('/v1/admin/tokens/generate', { body })) as Promise<GeneratedToken>,
  revoke: (token_id: string) => data(access.POST('/v1/admin/tokens/{token_id}/revoke', { params: { path: { token_id } } })),
};

// Gateway pools and gateways
export const usePools = () =>
  useQuery({ queryKey: [...ACCESS, 'pools'], queryFn: async () => (await data(access.GET('/v1/admin/settings/gateway-pools'))).items });
export const useGatewayHealth = () =>
  useQuery({ queryKey: [...ACCESS, 'gateway-health'], queryFn: () => data(access.GET('/v1/admin/gateway/health')), refetchInterval: LIVE_MS });
export const poolCalls = {
  /** 200 when it updated the pool, 201 when it created one: the same body either way. */
  save: async (body: PoolInput): Promise<Pool> => (await access.POST('/v1/admin/settings/gateway-pools', { body })).data as Pool,
  remove: (id: string) => access.DELETE('/v1/admin/settings/gateway-pools/{id}', { params: { path: { id } } }),
};
export const gatewayCalls = {
  remove: (id: string) => access.DELETE('/v1/admin/gateways/{id}', { params: { path: { id } } }),
};

// Policy bundles
export type BundleFilters = { channel?: Channel; status?: 'canary' | 'stable' | 'superseded' | 'rolled_back' };
export const useBundles = (filters: BundleFilters, cursor?: string) =>
  useQuery({
    queryKey: [...ACCESS, 'bundles', filters, cursor],
    queryFn: () => data(access.GET('/v1/admin/policy/bundles', { params: { query: { ...filters, limit: String(PAGE_SIZE), cursor } } })),
    placeholderData: keepPreviousData,
  });
export const useBundleDiff = (from: string | null, to: string | null) =>
  useQuery({
    queryKey: [...ACCESS, 'diff', from, to],
    enabled: !!from && !!to && from !== to,
    queryFn: () => data(access.GET('/v1/admin/policy/diff', { params: { query: { from: from!, to: to! } } })),
  });
export const policyCalls = {
  /** Rules come from the operator's JSON: the server checks them (422 with what is wrong). */
  publish: (body: PublishInput) => data(access.POST('/v1/admin/policy/publish', { body })),
  promote: (bundle_id: string) => data(access.POST('/v1/admin/policy/promote', { body: { bundle_id } })),
  rollback: (bundle_id: string) => data(access.POST('/v1/admin/policy/rollback', { body: { channel: 'stable', bundle_id } })),
};

// Sessions
type SessionFilters = { state?: 'active' | 'closed'; device_id?: string; gateway_id?: string; user_id?: string };
/** Newest first, up to 200 (the route pages by limit only). */
export const useSessions = (filters: SessionFilters) =>
  useQuery({
    queryKey: [...ACCESS, 'sessions', filters],
    queryFn: () => data(access.GET('/v1/admin/sessions', { params: { query: { ...filters, limit: '200' } } })),
    placeholderData: keepPreviousData,
    refetchInterval: LIVE_MS,
  });

export const useConnectionTruth = () =>
  useQuery({ queryKey: [...ACCESS, 'connection-truth'], queryFn: () => data(access.GET('/v1/admin/connection_truth')), refetchInterval: LIVE_MS });

// Users and groups (identity, served on the access surface too): names for ids, choices for forms.
export function useUserNames(): { names: (id: string | null | undefined) => string; users: { id: string; label: string }[] } {
  const can = useCan();
  const users = useQuery({
    queryKey: [...ACCESS, 'users'],
    enabled: can('user:read'),
    queryFn: () => data(access.GET('/v1/admin/users', { params: { query: { limit: '500' } } })),
  });
  const list = (users.data?.users ?? []).map((u) => ({ id: u.id, label: u.email ?? u.display_name ?? u.id.slice(0, 8) }));
  const byId = new Map(list.map((u) => [u.id, u.label]));
  return { names: (id) => (id ? byId.get(id) ?? id.slice(0, 8) : '—'), users: list };
}
export function useGroups() {
  const can = useCan();
  return useQuery({
    queryKey: [...ACCESS, 'groups'],
    enabled: can('group:read'),
    queryFn: async () => (await data(access.GET('/v1/admin/groups', { params: { query: { limit: '500' } } }))).groups,
  });
}

/** A write that refreshes the access queries and says how it went. */
export function useAccessAction<A, R = unknown>(run: (arg: A) => Promise<R>, done: string | ((result: R, arg: A) => string), onDone?: (result: R) => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: (result, arg) => {
      notifications.show({ color: 'teal', message: typeof done === 'function' ? done(result, arg) : done, closeButtonProps: DISMISS });
      onDone?.(result);
      return client.invalidateQueries({ queryKey: ACCESS });
    },
    onError: (err) => notifications.show({ color: 'red', title: 'That did not work', message: err.message, closeButtonProps: DISMISS }),
  });
}
const DISMISS = { 'aria-label': 'Dismiss' };

/**
 * The command an operator runs on the device (or gateway) with a token just generated. A gateway also says where
 * devices reach its WireGuard port: the operator fills in its public address (the pool's port by default).
 */
export function enrollCommand(kind: 'device' | 'gateway', token: string, listenPort = 51820): string {
  const base = `rampart agent ${kind} enroll --server ${window.location.origin} --token ${token}`;
  return kind === 'gateway' ? `${base} --endpoint <public-address>:${listenPort}` : base;
}

// Tenants, licence, entitlements and usage
export const DEFAULT_TENANT = '00000000-0000-4000-8000-000000000001';
export const useLicense = () => useQuery({ queryKey: [...ACCESS, 'license'], queryFn: () => data(access.GET('/v1/admin/license/status')) });
export const useTenants = () => useQuery({ queryKey: [...ACCESS, 'tenants'], queryFn: async () => (await data(access.GET('/v1/admin/tenants'))).items });
export const useEntitlementStatus = (tenant_id: string | undefined) =>
  useQuery({
    queryKey: [...ACCESS, 'entitlement', tenant_id],
    enabled: Boolean(tenant_id),
    queryFn: () => data(access.GET('/v1/admin/tenants/{tenant_id}/entitlement/status', { params: { path: { tenant_id: tenant_id! } } })),
  });
export const useTenantAlerts = (tenant_id: string | undefined) =>
  useQuery({
    queryKey: [...ACCESS, 'alerts', tenant_id],
    enabled: Boolean(tenant_id),
    queryFn: async () => (await data(access.GET('/v1/admin/tenants/{tenant_id}/alerts', { params: { path: { tenant_id: tenant_id! } } }))).items,
  });
export const useUsage = (tenant_id: string | undefined, period: string) =>
  useQuery({
    queryKey: [...ACCESS, 'usage', tenant_id, period],
    enabled: Boolean(tenant_id),
    queryFn: () => data(access.GET('/v1/admin/tenants/{tenant_id}/usage', { params: { path: { tenant_id: tenant_id! }, query: { period } } })),
  });
type TenantLifecycle = { action: 'create' | 'suspend' | 'reactivate'; tenant_id?: string; name?: string };
export const tenantCalls = {
  lifecycle: (body: TenantLifecycle) => data(access.POST('/v1/admin/tenants/lifecycle', { body })),
  reload: () => data(access.POST('/v1/admin/license/reload')),
};

// Audit exports, the SIEM connector and its delivery log
export type SiemInput = NonNullable<paths['/v1/admin/siem/connector']['post']['requestBody']>['content']['application/json'];
export const useSiemConnector = () => useQuery({ queryKey: [...ACCESS, 'siem'], queryFn: () => data(access.GET('/v1/admin/siem/connector')) });
export const useSiemDeliveries = () =>
  useQuery({ queryKey: [...ACCESS, 'siem-deliveries'], queryFn: () => data(access.GET('/v1/audit/export/webhook', { params: { query: { limit: '50' } } })), refetchInterval: LIVE_MS });
export const siemCalls = {
  save: (body: SiemInput) => data(access.POST('/v1/admin/siem/connector', { body })),
  test: () => data(access.POST('/v1/admin/siem/connector/test')),
};

// Incident playbooks
export type PlaybookInput = NonNullable<paths['/v1/admin/incident/playbook']['post']['requestBody']>['content']['application/json'];
export const usePlaybooks = () =>
  useQuery({
    queryKey: [...ACCESS, 'playbooks'],
    queryFn: async () => {
      const body = await data(access.GET('/v1/admin/incident/playbook', { params: { query: { limit: '20' } } }));
      if (!('playbooks' in body)) throw new Error('Unexpected answer: no playbook list');
      return body;
    },
    refetchInterval: LIVE_MS,
  });
export const usePlaybookRun = (run_id: string | null) =>
  useQuery({
    queryKey: [...ACCESS, 'playbook-run', run_id],
    enabled: Boolean(run_id),
    queryFn: async () => {
      const body = await data(access.GET('/v1/admin/incident/playbook', { params: { query: { run_id: run_id! } } }));
      if ('playbooks' in body) throw new Error('Unexpected answer: not a run');
      return body;
    },
    refetchInterval: (q) => (q.state.data && ['queued', 'running'].includes(q.state.data.status) ? 2_000 : false),
  });
export const playbookCalls = {
  start: (body: PlaybookInput) => data(access.POST('/v1/admin/incident/playbook', { body })),
};

// Operations
export const useOverview = () =>
  useQuery({ queryKey: [...ACCESS, 'overview'], queryFn: () => data(access.GET('/v1/admin/dashboard/overview')), refetchInterval: LIVE_MS });
export const useCertExpiry = () => useQuery({ queryKey: [...ACCESS, 'cert-expiry'], queryFn: () => data(access.GET('/v1/admin/certs/expiry')) });
export const useDirectorySync = (enabled: boolean) =>
  useQuery({ queryKey: [...ACCESS, 'dirsync'], enabled, queryFn: () => data(access.GET('/v1/admin/directory-sync/status')) });

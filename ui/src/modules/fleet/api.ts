import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { data, v1 } from '../../app/api/client';
import type { paths } from '../../app/api/generated/v1';

/** Every fleet query sits under this key, so a write refreshes what the pages show. */
export const FLEET = ['fleet'] as const;

type Ok<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: { 200: { content: { 'application/json': infer B } } } } ? B : never;
type Created<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: { 201: { content: { 'application/json': infer B } } } } ? B : never;
type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
type Query<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;

export type HostRow = Ok<'/api/v1/hosts', 'get'>['hosts'][number];
export type HostDetail = Ok<'/api/v1/hosts/{id}', 'get'>;
export type HostInput = Body<'/api/v1/hosts', 'post'>;
export type HostPatch = Body<'/api/v1/hosts/{id}', 'patch'>;
export type Credential = Created<'/api/v1/credentials', 'post'>;
export type CredentialInput = Body<'/api/v1/credentials', 'post'>;
export type Scan = Ok<'/api/v1/scans', 'get'>['scans'][number];
export type ScanResult = Ok<'/api/v1/scans/{id}', 'get'>['results'][number];
export type Evidence = Ok<'/api/v1/scans/{id}/rules/{ruleId}/evidence', 'get'>;
export type Alert = Ok<'/api/v1/alerts', 'get'>['items'][number];
export type AlertFilters = Pick<Query<'/api/v1/alerts'>, 'state' | 'severity'>;
export type AlertAction = 'acknowledge' | 'silence' | 'resolve' | 'dismiss';
export type Exception = Ok<'/api/v1/compliance/exceptions', 'get'>['items'][number];
export type ExceptionStatus = NonNullable<Query<'/api/v1/compliance/exceptions'>['status']>;
export type Remediation = Ok<'/api/v1/remediation/requests', 'get'>['items'][number];
export type DryRun = Ok<'/api/v1/remediation/requests/{rid}:dry-run', 'post'>;
export type License = Ok<'/api/v1/license', 'get'>;

const list = <T>(key: unknown[], fn: () => Promise<T>) => useQuery({ queryKey: [...FLEET, ...key], queryFn: fn, placeholderData: keepPreviousData });

// Dashboard
export const useFleetScore = () => list(['score'], () => data(v1.GET('/api/v1/fleet/score')));
export const useLiveness = () => list(['liveness'], () => data(v1.GET('/api/v1/fleet/liveness')));
export const useConnectivity = () => list(['connectivity'], () => data(v1.GET('/api/v1/fleet/connectivity/breakdown')));
export const useTopFailingRules = () => list(['top-rules'], () => data(v1.GET('/api/v1/fleet/top-failing-rules', { params: { query: { limit: '5' } } })));
export const useTopFailingHosts = () => list(['top-hosts'], () => data(v1.GET('/api/v1/fleet/top-failing-hosts', { params: { query: { limit: '5' } } })));
export const useRecentChanges = () => list(['recent-changes'], () => data(v1.GET('/api/v1/fleet/recent-changes', { params: { query: { limit: '10' } } })));
export const useFleetTrend = () => list(['trend'], () => data(v1.GET('/api/v1/fleet/compliance/trend', { params: { query: { days: '30' } } })));

// Hosts
export const useHosts = (filters: Query<'/api/v1/hosts'>) => list(['hosts', filters], () => data(v1.GET('/api/v1/hosts', { params: { query: filters } })));
/** A host id's label for lists that carry only ids (falls back to the id's start while hosts load). */
export function useHostNames(): (id: string) => string {
  const hosts = useHosts({}).data?.hosts ?? [];
  const names = new Map(hosts.map((h) => [h.id, h.display_name || h.hostname]));
  return (id) => names.get(id) ?? id.slice(0, 8);
}
export const useHost = (id: string) => list(['host', id], () => data(v1.GET('/api/v1/hosts/{id}', { params: { path: { id } } })));
export const useHostFrameworks = (id: string) => list(['host', id, 'frameworks'], () => data(v1.GET('/api/v1/hosts/{id}/compliance/frameworks', { params: { path: { id } } })));
export const useHostFailedRules = (id: string) => list(['host', id, 'failed'], () => data(v1.GET('/api/v1/hosts/{id}/compliance/failed-rules', { params: { path: { id } } })));
export const useHostTrend = (id: string) => list(['host', id, 'trend'], () => data(v1.GET('/api/v1/hosts/{id}/compliance/trend', { params: { path: { id }, query: { days: '30' } } })));
export const useHostScans = (id: string) => list(['scans', { host_id: id }], () => data(v1.GET('/api/v1/scans', { params: { query: { host_id: id, limit: '20' } } })));
export const useMonitoringHistory = (id: string) =>
  list(['host', id, 'monitoring'], () => data(v1.GET('/api/v1/hosts/{host_id}/monitoring/history', { params: { path: { host_id: id }, query: { limit: 20 } } })));
export const useEvidence = (scanId: string | null | undefined, ruleId: string) =>
  useQuery({
    queryKey: [...FLEET, 'evidence', scanId, ruleId],
    enabled: !!scanId,
    queryFn: () => data(v1.GET('/api/v1/scans/{id}/rules/{ruleId}/evidence', { params: { path: { id: scanId!, ruleId } } })),
  });

export const hostCalls = {
  create: (body: HostInput) => data(v1.POST('/api/v1/hosts', { body })),
  update: ({ id, body }: { id: string; body: HostPatch }) => data(v1.PATCH('/api/v1/hosts/{id}', { params: { path: { id } }, body })),
  remove: (id: string) => v1.DELETE('/api/v1/hosts/{id}', { params: { path: { id } } }),
  maintenance: ({ id, enabled }: { id: string; enabled: boolean }) => data(v1.PUT('/api/v1/hosts/{host_id}/maintenance', { params: { path: { host_id: id } }, body: { enabled } })),
  /** Discovery runs inline (bounded by the server), so the answer carries what it found. */
  discover: (id: string) => data(v1.POST('/api/v1/hosts/{id}/discovery:run', { params: { path: { id }, header: { 'Idempotency-Key': crypto.randomUUID() } } })),
  /** One Idempotency-Key per click: a retried request is the same scan, a second click is a new one. */
  scanNow: (id: string) => data(v1.POST('/api/v1/hosts/{id}/scans', { params: { path: { id }, header: { 'Idempotency-Key': crypto.randomUUID() } }, body: {} })),
};

// Credentials
export const useCredentials = () => list(['credentials'], () => data(v1.GET('/api/v1/credentials')));
export const credentialCalls = {
  create: (body: CredentialInput) => data(v1.POST('/api/v1/credentials', { body })),
  remove: (id: string) => v1.DELETE('/api/v1/credentials/{id}', { params: { path: { id } } }),
  clone: ({ id, name }: { id: string; name: string }) => data(v1.POST('/api/v1/credentials/{id}:clone', { params: { path: { id } }, body: { scope: 'system', name } })),
};

// Scans
export const useScans = (status?: Scan['status']) => list(['scans', { status }], () => data(v1.GET('/api/v1/scans', { params: { query: { status, limit: '50' } } })));
export const useScan = (id: string) => list(['scan', id], () => data(v1.GET('/api/v1/scans/{id}', { params: { path: { id } } })));

// Alerts
export const useAlerts = (filters: AlertFilters) => list(['alerts', filters], () => data(v1.GET('/api/v1/alerts', { params: { query: { ...filters, limit: '100' } } })));
export const alertCall = ({ id, action, until }: { id: string; action: AlertAction; until?: string }) => {
  const opts = { params: { path: { id } }, body: until ? { until } : {} };
  switch (action) {
    case 'acknowledge':
      return data(v1.POST('/api/v1/alerts/{id}:acknowledge', opts));
    case 'silence':
      return data(v1.POST('/api/v1/alerts/{id}:silence', opts));
    case 'resolve':
      return data(v1.POST('/api/v1/alerts/{id}:resolve', opts));
    case 'dismiss':
      return data(v1.POST('/api/v1/alerts/{id}:dismiss', opts));
  }
};

// Exceptions
export const useExceptions = (status?: ExceptionStatus) => list(['exceptions', { status }], () => data(v1.GET('/api/v1/compliance/exceptions', { params: { query: { status, limit: '100' } } })));
export const exceptionCalls = {
  request: ({ hostId, ...body }: { hostId: string; rule_id: string; justification: string; duration_days: number }) =>
    data(v1.POST('/api/v1/hosts/{id}/exceptions', { params: { path: { id: hostId } }, body })),
  review: ({ id, action, comment }: { id: string; action: 'approve' | 'reject' | 'revoke'; comment?: string }) => {
    const opts = { params: { path: { id } }, body: comment ? { comment } : {} };
    if (action === 'approve') return data(v1.POST('/api/v1/compliance/exceptions/{id}:approve', opts));
    if (action === 'reject') return data(v1.POST('/api/v1/compliance/exceptions/{id}:reject', opts));
    return data(v1.POST('/api/v1/compliance/exceptions/{id}:revoke', opts));
  },
};

// Remediation
export const useRemediations = () => list(['remediation'], () => data(v1.GET('/api/v1/remediation/requests', { params: { query: { limit: '100' } } })));
export const usePlan = (rid: string | null) =>
  useQuery({ queryKey: [...FLEET, 'remediation', rid, 'plan'], enabled: !!rid, queryFn: () => data(v1.GET('/api/v1/remediation/requests/{rid}/plan', { params: { path: { rid: rid! } } })) });
export const useSteps = (rid: string | null) =>
  useQuery({ queryKey: [...FLEET, 'remediation', rid, 'steps'], enabled: !!rid, queryFn: () => data(v1.GET('/api/v1/remediation/requests/{rid}/steps', { params: { path: { rid: rid! } } })) });
export const remediationCalls = {
  request: (body: { host_id: string; rule_id: string; comment?: string }) => data(v1.POST('/api/v1/remediation/requests', { body })),
  dryRun: (rid: string) => data(v1.POST('/api/v1/remediation/requests/{rid}:dry-run', { params: { path: { rid } } })),
  act: ({ rid, action }: { rid: string; action: 'approve' | 'reject' | 'execute' | 'rollback' }) => {
    const opts = { params: { path: { rid } } };
    if (action === 'approve') return data(v1.POST('/api/v1/remediation/requests/{rid}:approve', { ...opts, body: {} }));
    if (action === 'reject') return data(v1.POST('/api/v1/remediation/requests/{rid}:reject', { ...opts, body: {} }));
    if (action === 'execute') return data(v1.POST('/api/v1/remediation/requests/{rid}:execute', opts));
    return data(v1.POST('/api/v1/remediation/requests/{rid}:rollback', opts));
  },
};

// System settings and license
export const useConfig = {
  connectivity: () => list(['config', 'connectivity'], () => data(v1.GET('/api/v1/system/connectivity/config'))),
  intelligence: () => list(['config', 'intelligence'], () => data(v1.GET('/api/v1/system/intelligence/config'))),
  discovery: () => list(['config', 'discovery'], () => data(v1.GET('/api/v1/system/discovery/config'))),
  scan: () => list(['config', 'scan'], () => data(v1.GET('/api/v1/system/scan/config'))),
  compliance: () => list(['config', 'compliance'], () => data(v1.GET('/api/v1/system/compliance/config'))),
};
export const configCalls = {
  connectivity: (body: Body<'/api/v1/system/connectivity/config', 'put'>) => data(v1.PUT('/api/v1/system/connectivity/config', { body })),
  intelligence: (body: Body<'/api/v1/system/intelligence/config', 'put'>) => data(v1.PUT('/api/v1/system/intelligence/config', { body })),
  discovery: (body: Body<'/api/v1/system/discovery/config', 'put'>) => data(v1.PUT('/api/v1/system/discovery/config', { body })),
  scan: (body: Body<'/api/v1/system/scan/config', 'put'>) => data(v1.PUT('/api/v1/system/scan/config', { body })),
  compliance: (body: Body<'/api/v1/system/compliance/config', 'put'>) => data(v1.PUT('/api/v1/system/compliance/config', { body })),
};
/** Discovery of every host now (one Idempotency-Key per click). */
export const discoverySweep = () => data(v1.POST('/api/v1/system/discovery/sweep', { params: { header: { 'Idempotency-Key': crypto.randomUUID() } } }));
export const useLicense = () => list(['license'], () => data(v1.GET('/api/v1/license')));
export const licenseCalls = {
  verify: (license: string) => data(v1.POST('/api/v1/admin/license:verify', { body: { license_jwt: license } })),
  install: (license: string) => data(v1.PUT('/api/v1/admin/license', { body: { license_jwt: license } })),
};

/** A write that refreshes the fleet queries and says how it went. */
export function useFleetAction<A, R = unknown>(run: (arg: A) => Promise<R>, done: string | ((result: R) => string), onDone?: (result: R) => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: (result) => {
      notifications.show({ color: 'teal', message: typeof done === 'function' ? done(result) : done });
      onDone?.(result);
      return client.invalidateQueries({ queryKey: FLEET });
    },
    onError: (err) => notifications.show({ color: 'red', title: 'That did not work', message: err.message }),
  });
}

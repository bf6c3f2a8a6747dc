import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { data, dataWithTotal, v1 } from '../../app/api/client';
import type { paths } from '../../app/api/generated/v1';
import { pageQuery } from '../../shared/components/DataTable';

export const EGRESS = ['egress'] as const;

export function usePolicyDocument() {
  return useQuery({ queryKey: [...EGRESS, 'policy'], queryFn: () => data(v1.GET('/api/v1/policy')) });
}

export const policyCalls = {
  dryRun: (policy: unknown) => data(v1.POST('/api/v1/policy/dry-run', { body: policy })),
  save: (policy: unknown) => data(v1.PUT('/api/v1/policy', { body: policy })),
};

type FindingQuery = NonNullable<paths['/api/v1/audit/findings']['get']['parameters']['query']>;
export type FindingFilters = Pick<FindingQuery, 'finding_type' | 'source_group'>;

export function useFindings(filters: FindingFilters) {
  return useQuery({
    queryKey: [...EGRESS, 'findings', filters],
    queryFn: () => data(v1.GET('/api/v1/audit/findings', { params: { query: filters } })),
    placeholderData: (previous) => previous,
  });
}

export function useDnsCache(page: number) {
  return useQuery({
    queryKey: [...EGRESS, 'dns-cache', page],
    queryFn: async () => {
      const { data: body, response } = await v1.GET('/api/v1/dns-cache', { params: { query: pageQuery(page) } });
      const entries = body?.entries ?? [];
      return { items: entries, total: Number(response.headers.get('x-total-count') ?? entries.length) };
    },
    placeholderData: (previous) => previous,
  });
}

export function useIntegrations(page: number) {
  return useQuery({
    queryKey: [...EGRESS, 'integrations', page],
    queryFn: () => dataWithTotal(v1.GET('/api/v1/integrations', { params: { query: pageQuery(page) } })),
    placeholderData: (previous) => previous,
  });
}

export const usePerformanceMode = () => useQuery({ queryKey: [...EGRESS, 'performance-mode'], queryFn: () => data(v1.GET('/api/v1/settings/performance-mode')) });
export const useTlsCa = () => useQuery({ queryKey: [...EGRESS, 'tls-ca'], queryFn: () => data(v1.GET('/api/v1/settings/tls-intercept-ca')) });
export const useThreatIntel = () => useQuery({ queryKey: [...EGRESS, 'threat-intel'], queryFn: () => data(v1.GET('/api/v1/settings/threat-intel')) });

export const settingsCalls = {
  performanceMode: (enabled: boolean) => v1.PUT('/api/v1/settings/performance-mode', { body: { enabled } }),
  generateCa: () => v1.POST('/api/v1/settings/tls-intercept-ca/generate'),
  removeCa: () => v1.DELETE('/api/v1/settings/tls-intercept-ca'),
  threatIntel: (body: { enabled?: boolean; alert_threshold?: 'low' | 'medium' | 'high' | 'critical' }) => v1.PUT('/api/v1/settings/threat-intel', { body }),
  removeIntegration: (name: string) => v1.DELETE('/api/v1/integrations/{name}', { params: { path: { name } } }),
};

/** A write that refreshes the egress queries and says how it went. */
export function useEgressAction<A>(run: (arg: A) => Promise<unknown>, done: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: () => {
      notifications.show({ color: 'teal', message: done });
      return client.invalidateQueries({ queryKey: EGRESS });
    },
    onError: (err) => notifications.show({ color: 'red', title: 'That did not work', message: err.message }),
  });
}

/** A single-use ticket for an event stream (EventSource cannot send the CSRF header or any other). */
export async function streamTicket(): Promise<string> {
  return (await data(v1.POST('/api/v1/auth/ws-ticket'))).ticket;
}


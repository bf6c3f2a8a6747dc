import { useQuery } from '@tanstack/react-query';
import { data, v1 } from '../../app/api/client';

export interface Readiness {
  ready: boolean;
  checks: { name: string; ok: boolean; detail: string | null }[];
}

/** /ready answers 503 with the same body when a check fails: the body is what the dashboard shows, either way. */
export function useReadiness() {
  return useQuery({
    queryKey: ['health', 'ready'],
    queryFn: async (): Promise<Readiness> => {
      const res = await fetch('/ready', { credentials: 'same-origin' });
      return (await res.json()) as Readiness;
    },
    refetchInterval: 30_000,
  });
}

export function useRecentAudit(enabled: boolean) {
  return useQuery({
    queryKey: ['audit', 'recent'],
    queryFn: () => data(v1.GET('/api/v1/audit/events', { params: { query: { limit: 200 } } })),
    enabled,
  });
}

/** The number of users, read from a one-row page's total. */
export function useUserCount(enabled: boolean) {
  return useQuery({
    queryKey: ['identity', 'users', 'count'],
    queryFn: async () => (await data(v1.GET('/api/v1/users', { params: { query: { limit: '1' } } }))).total,
    enabled,
  });
}

export function useVersion() {
  return useQuery({ queryKey: ['version'], queryFn: () => data(v1.GET('/api/v1/version')), staleTime: Infinity });
}

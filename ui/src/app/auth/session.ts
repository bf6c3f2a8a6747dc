import { useQuery, useQueryClient } from '@tanstack/react-query';
import { data, overlay, v1 } from '../api/client';
import { ApiError } from '../api/errors';

export const ME_KEY = ['auth', 'me'] as const;

export type Me = Awaited<ReturnType<typeof fetchMe>>;

async function fetchMe() {
  return data(v1.GET('/api/v1/auth/me'));
}

/**
 * The signed-in caller, or null when the session cookie is missing or dead. The public overlay probe asks first,
 * so an anonymous visit makes no 401 (which browsers log as an error on the console).
 */
export function useMe() {
  return useQuery({
    queryKey: ME_KEY,
    queryFn: async () => {
      try {
        if (!(await data(overlay.GET('/api/auth/me'))).authenticated) return null;
        return await fetchMe();
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 60_000,
  });
}

/** Whether a grant list covers a permission: `*`, `resource:*` or the exact `resource:action` (the server's rule). */
export function grants(permissions: readonly string[], wanted: string): boolean {
  const [resource] = wanted.split(':');
  return permissions.some((p) => p === '*' || p === wanted || p === `${resource}:*`);
}

/** What the console shows is what the caller may do; the server still decides every call. */
export function useCan() {
  const me = useMe().data;
  return (permission?: string) => !permission || (!!me && grants(me.permissions, permission));
}

/** After a sign-in (or a password change) the cached "nobody" must go, so the next page asks the server again. */
export function useSessionChanged() {
  const client = useQueryClient();
  return () => client.removeQueries({ queryKey: ME_KEY });
}

export function useSignOut() {
  const client = useQueryClient();
  return async () => {
    await v1.POST('/api/v1/auth/logout').catch(() => undefined);
    client.clear();
    client.setQueryData(ME_KEY, null);
  };
}

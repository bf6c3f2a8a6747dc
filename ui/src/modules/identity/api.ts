import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { access, data, v1 } from '../../app/api/client';
import { pageQuery } from '../../shared/components/DataTable';

export const USERS = ['identity', 'users'] as const;

export function useUsers(page: number, filters: { search?: string; status?: 'active' | 'suspended' | 'disabled' }) {
  return useQuery({
    queryKey: [...USERS, page, filters],
    queryFn: () => data(v1.GET('/api/v1/users', { params: { query: { ...pageQuery(page), ...clean(filters) } } })),
    placeholderData: (previous) => previous,
  });
}

export function useRoles() {
  return useQuery({ queryKey: ['identity', 'roles'], queryFn: () => data(v1.GET('/api/v1/roles', { params: { query: { limit: '200' } } })) });
}

/** A write that refreshes what it changed and says how it went. */
export function useAction<A>(run: (arg: A) => Promise<unknown>, done: string, invalidate: readonly unknown[] = USERS) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: () => {
      notifications.show({ color: 'teal', message: done });
      return client.invalidateQueries({ queryKey: invalidate });
    },
    onError: (err) => notifications.show({ color: 'red', title: 'That did not work', message: err.message }),
  });
}

export const userActions = {
  create: (body: { username: string; email: string; password: string; display_name?: string; roles?: string[] }) => v1.POST('/api/v1/users', { body }),
  suspend: (id: string) => access.POST('/v1/admin/users/suspend', { body: { user_id: id } }),
  reactivate: (id: string) => access.POST('/v1/admin/users/reactivate', { body: { user_id: id } }),
  setPassword: (id: string, password: string) => access.POST('/v1/admin/users/password', { body: { user_id: id, password } }),
  assignRole: (id: string, role: string) => v1.POST('/api/v1/users/{id}/roles:assign', { params: { path: { id } }, body: { role_id: role } }),
  endSessions: (id: string) => v1.DELETE('/api/v1/users/{id}/sessions', { params: { path: { id } } }),
  unassignRole: (id: string, role: string) => v1.POST('/api/v1/users/{id}/roles:unassign', { params: { path: { id } }, body: { role_id: role } }),
};

/** Drops empty filters, so they are not sent as `?status=`. */
export function clean<T extends Record<string, unknown>>(filters: T): Partial<T> {
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined && v !== '' && v !== null)) as Partial<T>;
}

import { Navigate, Outlet, useLocation } from 'react-router';
import { PageError, PageLoading } from '../../shared/components/states';
import { useMe } from './session';

/** Sends anonymous visitors to the sign-in page, and a user who must pick a new password to that page first. */
export function RequireAuth() {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <PageLoading label="Checking your session" />;
  if (me.isError) return <PageError error={me.error} retry={() => me.refetch()} />;
  const next = encodeURIComponent(location.pathname + location.search);
  if (!me.data) return <Navigate to={`/login?next=${next}`} replace />;
  if (me.data.must_change_password && location.pathname !== '/change-password') {
    return <Navigate to={`/change-password?next=${next}`} replace />;
  }
  return <Outlet />;
}

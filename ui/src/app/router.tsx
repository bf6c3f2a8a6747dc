import { createBrowserRouter, Navigate } from 'react-router';
import { RequireAuth } from './auth/RequireAuth';
import { page } from './module';
import { modules } from './modules';
import { Shell } from './layout/Shell';
import { RouteError } from './layout/RouteError';

export const router = createBrowserRouter([
  { path: '/login', lazy: page(() => import('./auth/LoginPage'), 'LoginPage'), errorElement: <RouteError /> },
  { path: '/auth/callback', lazy: page(() => import('./auth/SsoCallbackPage'), 'SsoCallbackPage'), errorElement: <RouteError /> },
  ...modules.flatMap((m) => m.publicRoutes ?? []),
  {
    element: <RequireAuth />,
    errorElement: <RouteError />,
    children: [
      { path: '/change-password', lazy: page(() => import('./auth/ChangePasswordPage'), 'ChangePasswordPage') },
      {
        element: <Shell />,
        children: [
          ...modules.flatMap((m) => m.routes),
          // ZTNA's admin pages live under /admin/*: the console is them (the access pages are /admin/devices and on).
          { path: '/admin', element: <Navigate to="/admin/devices" replace /> },
          { path: '/admin/*', element: <Navigate to="/" replace /> },
          { path: '*', lazy: page(() => import('./layout/NotFoundPage'), 'NotFoundPage') },
        ],
      },
    ],
  },
]);

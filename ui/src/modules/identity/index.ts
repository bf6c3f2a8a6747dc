import { IconKey, IconLogin2, IconRobot, IconShieldLock, IconUserCircle, IconUsers } from '@tabler/icons-react';
import { page, type ConsoleModule } from '../../app/module';

export const identityModule: ConsoleModule = {
  name: 'identity',
  label: 'Identity',
  nav: [
    { path: '/identity/users', label: 'Users', icon: IconUsers, permission: 'user:read' },
    { path: '/identity/roles', label: 'Roles', icon: IconShieldLock, permission: 'role:read' },
    { path: '/identity/api-keys', label: 'API keys', icon: IconKey },
    { path: '/identity/service-accounts', label: 'Service accounts', icon: IconRobot, permission: 'service_account:read' },
    { path: '/identity/sso', label: 'SSO and sign-in', icon: IconLogin2, permission: 'sso_provider:read' },
    { path: '/profile', label: 'My profile', icon: IconUserCircle },
  ],
  routes: [
    { path: '/identity/users', lazy: page(() => import('./pages/UsersPage'), 'UsersPage') },
    { path: '/identity/roles', lazy: page(() => import('./pages/RolesPage'), 'RolesPage') },
    { path: '/identity/api-keys', lazy: page(() => import('./pages/ApiKeysPage'), 'ApiKeysPage') },
    { path: '/identity/service-accounts', lazy: page(() => import('./pages/ServiceAccountsPage'), 'ServiceAccountsPage') },
    { path: '/identity/sso', lazy: page(() => import('./pages/SsoPage'), 'SsoPage') },
    { path: '/profile', lazy: page(() => import('./pages/ProfilePage'), 'ProfilePage') },
  ],
};

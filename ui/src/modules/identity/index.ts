import { IconUsers } from '@tabler/icons-react';
import { page, type ConsoleModule } from '../../app/module';

export const identityModule: ConsoleModule = {
  name: 'identity',
  label: 'Identity',
  nav: [{ path: '/identity/users', label: 'Users', icon: IconUsers, permission: 'user:read' }],
  routes: [{ path: '/identity/users', lazy: page(() => import('./pages/UsersPage'), 'UsersPage') }],
};

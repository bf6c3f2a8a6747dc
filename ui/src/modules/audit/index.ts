import { IconListSearch } from '@tabler/icons-react';
import { page, type ConsoleModule } from '../../app/module';

export const auditModule: ConsoleModule = {
  name: 'audit',
  label: 'Audit',
  nav: [{ path: '/audit', label: 'Audit trail', icon: IconListSearch, permission: 'audit:read' }],
  routes: [{ path: '/audit', lazy: page(() => import('./pages/AuditPage'), 'AuditPage') }],
};

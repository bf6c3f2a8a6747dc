import { IconGauge } from '@tabler/icons-react';
import { page, type ConsoleModule } from '../../app/module';

export const dashboardModule: ConsoleModule = {
  name: 'dashboard',
  label: 'Overview',
  nav: [{ path: '/', label: 'Dashboard', icon: IconGauge }],
  routes: [{ index: true, lazy: page(() => import('./pages/DashboardPage'), 'DashboardPage') }],
};

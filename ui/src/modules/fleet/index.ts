import { IconAlertTriangle, IconCertificate, IconGauge, IconKey, IconListCheck, IconServer, IconSettings, IconShieldCheck, IconTool } from '@tabler/icons-react';
import { page, type ConsoleModule } from '../../app/module';

/**
 * Fleet (the OpenWatch surface under /api/v1): compliance of managed hosts scanned over SSH. Every page is its own
 * chunk, so the dashboard's first load pays nothing for them.
 */
export const fleetModule: ConsoleModule = {
  name: 'fleet',
  label: 'Fleet',
  nav: [
    { path: '/fleet/overview', label: 'Fleet overview', icon: IconGauge, permission: 'host:read' },
    { path: '/fleet/hosts', label: 'Hosts', icon: IconServer, permission: 'host:read' },
    { path: '/fleet/credentials', label: 'Credentials', icon: IconKey, permission: 'credential:read' },
    { path: '/fleet/scans', label: 'Scans', icon: IconListCheck, permission: 'scan:read' },
    { path: '/fleet/alerts', label: 'Alerts', icon: IconAlertTriangle, permission: 'alert:read' },
    { path: '/fleet/exceptions', label: 'Exceptions', icon: IconShieldCheck, permission: 'exception:read' },
    { path: '/fleet/remediation', label: 'Remediation', icon: IconTool, permission: 'remediation:read' },
    { path: '/fleet/settings', label: 'Fleet settings', icon: IconSettings, permission: 'system:read' },
    { path: '/fleet/license', label: 'License', icon: IconCertificate },
  ],
  routes: [
    { path: '/fleet/overview', lazy: page(() => import('./pages/FleetDashboardPage'), 'FleetDashboardPage') },
    { path: '/fleet/hosts', lazy: page(() => import('./pages/HostsPage'), 'HostsPage') },
    { path: '/fleet/hosts/:id', lazy: page(() => import('./pages/HostDetailPage'), 'HostDetailPage') },
    { path: '/fleet/credentials', lazy: page(() => import('./pages/CredentialsPage'), 'CredentialsPage') },
    { path: '/fleet/scans', lazy: page(() => import('./pages/ScansPage'), 'ScansPage') },
    { path: '/fleet/scans/:id', lazy: page(() => import('./pages/ScanDetailPage'), 'ScanDetailPage') },
    { path: '/fleet/alerts', lazy: page(() => import('./pages/AlertsPage'), 'AlertsPage') },
    { path: '/fleet/exceptions', lazy: page(() => import('./pages/ExceptionsPage'), 'ExceptionsPage') },
    { path: '/fleet/remediation', lazy: page(() => import('./pages/RemediationPage'), 'RemediationPage') },
    { path: '/fleet/settings', lazy: page(() => import('./pages/FleetSettingsPage'), 'FleetSettingsPage') },
    { path: '/fleet/license', lazy: page(() => import('./pages/LicensePage'), 'LicensePage') },
  ],
};

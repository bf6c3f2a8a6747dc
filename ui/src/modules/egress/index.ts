import { IconActivity, IconAlertTriangle, IconCloudComputing, IconDatabase, IconFileCode, IconSettings } from '@tabler/icons-react';
import { page, type ConsoleModule } from '../../app/module';

/**
 * Egress (the Neuwerk surface under /api/v1): the policy editor and the gateway's runtime pages. Neuwerk's service
 * accounts are the identity module's (/identity/service-accounts): one page for the one API.
 */
export const egressModule: ConsoleModule = {
  name: 'egress',
  label: 'Egress',
  nav: [
    { path: '/egress/policy', label: 'Policy', icon: IconFileCode, permission: 'egress_policy:read' },
    { path: '/egress/findings', label: 'Findings', icon: IconAlertTriangle, permission: 'egress_audit:read' },
    { path: '/egress/wiretap', label: 'Wiretap', icon: IconActivity, permission: 'egress_wiretap:read' },
    { path: '/egress/dns-cache', label: 'DNS cache', icon: IconDatabase, permission: 'egress_dataplane:read' },
    { path: '/egress/integrations', label: 'Integrations', icon: IconCloudComputing, permission: 'egress_integration:read' },
    { path: '/egress/settings', label: 'Egress settings', icon: IconSettings, permission: 'egress_settings:read' },
  ],
  routes: [
    { path: '/egress/policy', lazy: page(() => import('./pages/PolicyPage'), 'PolicyPage') },
    { path: '/egress/findings', lazy: page(() => import('./pages/FindingsPage'), 'FindingsPage') },
    { path: '/egress/wiretap', lazy: page(() => import('./pages/WiretapPage'), 'WiretapPage') },
    { path: '/egress/dns-cache', lazy: page(() => import('./pages/DnsCachePage'), 'DnsCachePage') },
    { path: '/egress/integrations', lazy: page(() => import('./pages/IntegrationsPage'), 'IntegrationsPage') },
    { path: '/egress/settings', lazy: page(() => import('./pages/SettingsPage'), 'SettingsPage') },
  ],
};

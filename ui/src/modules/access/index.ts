import { IconActivity, IconAlertTriangle, IconCertificate, IconFileExport, IconDevices, IconFileCertificate, IconKey, IconPlugConnected, IconServer2 } from '@tabler/icons-react';
import { page, type ConsoleModule } from '../../app/module';

/**
 * Access (the ZTNA control plane under /v1): devices, enrollment tokens, gateways and pools, policy bundles and
 * sessions, licence and tenants. The pages live under /admin/*, where the spec puts its admin interface; each is its own chunk.
 */
export const accessModule: ConsoleModule = {
  name: 'access',
  label: 'Access',
  nav: [
    { path: '/admin/devices', label: 'Devices', icon: IconDevices, permission: 'access_device:read' },
    { path: '/admin/tokens', label: 'Enrollment tokens', icon: IconKey, permission: 'access_token:read' },
    { path: '/admin/gateways', label: 'Gateways', icon: IconServer2, permission: 'access_gateway:read' },
    { path: '/admin/policy', label: 'Policy bundles', icon: IconFileCertificate, permission: 'access_policy:read' },
    { path: '/admin/sessions', label: 'Sessions', icon: IconPlugConnected, permission: 'access_session:read' },
    { path: '/admin/license', label: 'Licence & tenants', icon: IconCertificate, permission: 'access_tenant:read' },
    { path: '/admin/audit', label: 'Audit & SIEM', icon: IconFileExport, permission: 'access_siem:read' },
    { path: '/admin/incidents', label: 'Incident playbooks', icon: IconAlertTriangle, permission: 'access_ops:read' },
    { path: '/admin/operations', label: 'Operations', icon: IconActivity, permission: 'access_ops:read' },
  ],
  routes: [
    { path: '/admin/devices', lazy: page(() => import('./pages/DevicesPage'), 'DevicesPage') },
    { path: '/admin/tokens', lazy: page(() => import('./pages/TokensPage'), 'TokensPage') },
    { path: '/admin/gateways', lazy: page(() => import('./pages/GatewaysPage'), 'GatewaysPage') },
    { path: '/admin/policy', lazy: page(() => import('./pages/PolicyPage'), 'PolicyPage') },
    { path: '/admin/sessions', lazy: page(() => import('./pages/SessionsPage'), 'SessionsPage') },
    { path: '/admin/license', lazy: page(() => import('./pages/LicensePage'), 'LicensePage') },
    { path: '/admin/audit', lazy: page(() => import('./pages/AuditPage'), 'AuditPage') },
    { path: '/admin/incidents', lazy: page(() => import('./pages/IncidentsPage'), 'IncidentsPage') },
    { path: '/admin/operations', lazy: page(() => import('./pages/OperationsPage'), 'OperationsPage') },
  ],
};

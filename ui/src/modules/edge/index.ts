import { IconArrowsExchange, IconBan, IconCalendarTime, IconHistory, IconNetwork, IconPlugConnected, IconRoute, IconShieldHalf, IconTags, IconTopologyStar } from '@tabler/icons-react';
import { page, type ConsoleModule } from '../../app/module';

/**
 * The edge (AiFw's API under /api/v1, on this box's nftables and iproute2): rules, aliases, schedules, NAT,
 * interfaces, VLANs, routes, connections, blocked traffic and logs, configuration history. Every page carries the
 * pending-changes banner (apply, commit-confirm countdown). Permissions are AiFw's (rules:read, nat:read ...).
 */
export const edgeModule: ConsoleModule = {
  name: 'edge',
  label: 'Edge firewall',
  nav: [
    { path: '/edge/rules', label: 'Rules', icon: IconShieldHalf, permission: 'rules:read' },
    { path: '/edge/aliases', label: 'Aliases', icon: IconTags, permission: 'aliases:read' },
    { path: '/edge/schedules', label: 'Schedules', icon: IconCalendarTime, permission: 'rules:read' },
    { path: '/edge/nat', label: 'NAT', icon: IconArrowsExchange, permission: 'nat:read' },
    { path: '/edge/interfaces', label: 'Interfaces', icon: IconNetwork, permission: 'interfaces:read' },
    { path: '/edge/vlans', label: 'VLANs', icon: IconTopologyStar, permission: 'interfaces:read' },
    { path: '/edge/routes', label: 'Routes', icon: IconRoute, permission: 'interfaces:read' },
    { path: '/edge/connections', label: 'Connections', icon: IconPlugConnected, permission: 'connections:view' },
    { path: '/edge/traffic', label: 'Blocked and logs', icon: IconBan, permission: 'logs:view' },
    { path: '/edge/config', label: 'Configuration history', icon: IconHistory, permission: 'backup:read' },
  ],
  routes: [
    { path: '/edge/rules', lazy: page(() => import('./pages/RulesPage'), 'RulesPage') },
    { path: '/edge/aliases', lazy: page(() => import('./pages/AliasesPage'), 'AliasesPage') },
    { path: '/edge/schedules', lazy: page(() => import('./pages/SchedulesPage'), 'SchedulesPage') },
    { path: '/edge/nat', lazy: page(() => import('./pages/NatPage'), 'NatPage') },
    { path: '/edge/interfaces', lazy: page(() => import('./pages/InterfacesPage'), 'InterfacesPage') },
    { path: '/edge/vlans', lazy: page(() => import('./pages/VlansPage'), 'VlansPage') },
    { path: '/edge/routes', lazy: page(() => import('./pages/RoutesPage'), 'RoutesPage') },
    { path: '/edge/connections', lazy: page(() => import('./pages/ConnectionsPage'), 'ConnectionsPage') },
    { path: '/edge/traffic', lazy: page(() => import('./pages/TrafficLogPage'), 'TrafficLogPage') },
    { path: '/edge/config', lazy: page(() => import('./pages/ConfigHistoryPage'), 'ConfigHistoryPage') },
  ],
};


import { IconGitPullRequest, IconKey, IconTopologyStar3 } from '@tabler/icons-react';
import { page, type ConsoleModule } from '../../app/module';

/**
 * The overlay (Nebula Commander) pages. Every overlay route is open to any signed-in user and decides per
 * network (role and can_* flags), so the links carry no permission; the pages show actions by those flags.
 */
export const overlayModule: ConsoleModule = {
  name: 'overlay',
  label: 'Overlay',
  nav: [
    { path: '/overlay/networks', label: 'Networks', icon: IconTopologyStar3 },
    { path: '/overlay/node-requests', label: 'Node requests', icon: IconGitPullRequest },
    { path: '/overlay/access-grants', label: 'Access grants', icon: IconKey },
  ],
  routes: [
    { path: '/overlay/networks', lazy: page(() => import('./pages/NetworksPage'), 'NetworksPage') },
    { path: '/overlay/networks/:networkId', lazy: page(() => import('./pages/NetworkPage'), 'NetworkPage') },
    { path: '/overlay/node-requests', lazy: page(() => import('./pages/NodeRequestsPage'), 'NodeRequestsPage') },
    { path: '/overlay/access-grants', lazy: page(() => import('./pages/AccessGrantsPage'), 'AccessGrantsPage') },
  ],
  publicRoutes: [{ path: '/invitations/:token', lazy: page(() => import('./pages/InvitationPage'), 'InvitationPage') }],
};

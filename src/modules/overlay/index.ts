import type { RampartModule } from '../module.js';
import { overlayMigrations } from './overlay.migrations.js';
import { overlaySealedColumns } from './overlay.sealed.js';
import { createOverlayServices } from './overlay.services.js';
import { networksRoutes } from './routes/networks.routes.js';
import { networkUsersRoutes } from './routes/network-users.routes.js';
import { groupFirewallRoutes } from './routes/group-firewall.routes.js';
import { overlayUsersRoutes } from './routes/users.routes.js';
import { nodeRequestsRoutes } from './routes/node-requests.routes.js';
import { accessGrantsRoutes } from './routes/access-grants.routes.js';
import { invitationsRoutes } from './routes/invitations.routes.js';
import { mailOutboxRoutes } from './routes/mail-outbox.routes.js';
import { overlayAuditRoutes } from './routes/audit.routes.js';
import { nodesRoutes } from './routes/nodes.routes.js';
import { certificatesRoutes } from './routes/certificates.routes.js';
import { deviceRoutes } from './routes/device.routes.js';
import { deviceDnsRoutes, dnsRoutes } from './routes/dns.routes.js';
import { publicConfigRoutes } from './routes/public-config.routes.js';

/**
 * The Nebula Commander API (../shared/specs/overlay-nebula-commander-api.txt) over native Nebula PKI: networks
 * with a CA each, nodes and their certificates, device enrollment and config polling, per-network permissions,
 * node requests, access grants and invitations,
 * per-network DNS (zones and aliases served to devices as dnsmasq.conf). Auth and health live in the identity and health modules.
 */
export const overlayModule: RampartModule = {
  name: 'overlay',
  migrations: overlayMigrations,
  sealedColumns: Object.values(overlaySealedColumns),
  http: (core) => {
    const services = createOverlayServices(core);
    return {
      name: 'overlay',
      routes: [
        ...networksRoutes(services.networks),
        ...networkUsersRoutes(services.members),
        ...groupFirewallRoutes(services.groupFirewall),
        ...overlayUsersRoutes(core, services.userNetworks),
        ...nodeRequestsRoutes(services.nodeRequests),
        ...accessGrantsRoutes(services.accessGrants),
        ...invitationsRoutes(services.invitations),
        ...mailOutboxRoutes(core),
        ...overlayAuditRoutes(core),
        ...nodesRoutes(services.nodes, services.device),
        ...certificatesRoutes(services.nodes),
        ...deviceRoutes(services.device),
        ...dnsRoutes(services.dns, services.device),
        ...deviceDnsRoutes(services.dns, services.device),
        ...publicConfigRoutes(),
      ],
    };
  },
};

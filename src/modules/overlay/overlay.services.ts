import type { Core } from '../../core/index.js';
import { createNetworkAccess } from './access/network-access.js';
import { createIpam } from './ipam/ipam.js';
import { createConfigRevisions } from './networks/config-revision.js';
import { createNetworkCas } from './networks/network-cas.js';
import { createNetworkService } from './networks/network-service.js';
import { createNetworkMembers } from './networks/network-members.js';
import { createGroupFirewall } from './networks/group-firewall.js';
import { createUserNetworks } from './networks/user-networks.js';
import { createNodeRequestService } from './workflows/node-requests/node-request.service.js';
import { createAccessGrantService } from './workflows/access-grants/access-grant.service.js';
import { createInvitationService } from './workflows/invitations/invitation.service.js';
import { createNodeService } from './nodes/node.service.js';
import { createDeviceService } from './device/device.service.js';
import { createDnsService } from './dns/dns.service.js';
import { createDeviceCache } from './device/device-cache.js';
import { createNetworkParts } from './device/network-parts.js';

/** The overlay's services, wired by hand once per Rampart: each takes what it needs of the core and of the others. */
export function createOverlayServices(core: Core) {
  const access = createNetworkAccess(core.db, core.now);
  const ipam = createIpam(core.db);
  const cas = createNetworkCas(core);
  const revisions = createConfigRevisions(core);
  const base = { core, access, ipam, cas, revisions };
  const nodes = createNodeService(base);
  // One memory budget for everything device polls remember (see docs/architecture.md, "device-poll path").
  const cache = createDeviceCache(core.config.overlay.device_cache_mib);
  const poll = { cache, parts: createNetworkParts(base, nodes, cache) };
  return {
    ...base,
    nodes,
    nodeRequests: createNodeRequestService(base, nodes),
    accessGrants: createAccessGrantService(base),
    invitations: createInvitationService(base),
    device: createDeviceService(base, nodes, poll),
    dns: createDnsService(base, nodes, poll),
    members: createNetworkMembers(core.db, access, core.now),
    groupFirewall: createGroupFirewall(core.db, access, revisions, core.now),
    userNetworks: createUserNetworks(core.db),
    networks: createNetworkService({ ...base, nodes }),
  };
}

export type OverlayServices = ReturnType<typeof createOverlayServices>;

import type { Core } from '../../core/index.js';
import { createNetworkAccess } from './access/network-access.js';
import { createIpam } from './ipam/ipam.js';
import { createConfigRevisions } from './networks/config-revision.js';
import { createNetworkCas } from './networks/network-cas.js';

/** The overlay's services, wired by hand once per Rampart: each takes what it needs of the core and of the others. */
export function createOverlayServices(core: Core) {
  const access = createNetworkAccess(core.db, core.now);
  const ipam = createIpam(core.db);
  const cas = createNetworkCas(core);
  const revisions = createConfigRevisions(core.db, core.now);
  const base = { core, access, ipam, cas, revisions };
  return {
    ...base,
  };
}

export type OverlayServices = ReturnType<typeof createOverlayServices>;

import type { RampartModule } from '../../server.js';
import { overlayMigrations } from './overlay.migrations.js';
import { overlaySealedColumns } from './overlay.sealed.js';
import { createOverlayServices } from './overlay.services.js';

/**
 * The Nebula Commander API (../shared/specs/overlay-nebula-commander-api.txt) over native Nebula PKI: networks
 * with a CA each, nodes and their certificates, device enrollment and config polling, per-network permissions,
 * node requests, access grants and invitations. Auth and health live in the identity and health modules.
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
      ],
    };
  },
};

import type { RampartModule } from '../module.js';
import { edgeServices } from './edge.services.js';
import { frameMigrations } from './frame/frame.migrations.js';
import { frameRoutes } from './frame/frame.routes.js';
import { networkMigrations } from './network/network.migrations.js';
import { networkRoutes } from './network/network.routes.js';

/**
 * The edge firewall (docs/edge.md): AiFw's API for rules, NAT, aliases, schedules, interfaces and configuration
 * history, compiled into Rampart's own nftables table on Linux. Paths /api/v1/*, AiFw's bodies ({"data": ...},
 * {"message": ...}) and errors (status code plus {"error": "..."}).
 */
export const edgeModule: RampartModule = {
  name: 'edge',
  // firewall/ 0001-0019, network/ 0020-0039, frame/ 0040-0059, config/ 0060-0079: names never collide.
  migrations: [...networkMigrations, ...frameMigrations],
  http: (core) => {
    const edge = edgeServices(core);
    return { name: 'edge', routes: [...networkRoutes(core, edge.network.net, edge.network.blocked), ...frameRoutes(core, edge.frame)] };
  },
  // The metrics series are recorded while serving (the WebSocket starts the producer on its own too).
  start: async (core) => {
    const edge = edgeServices(core);
    const recorder = edge.frame.startRecording();
    const reader = core.config.dataplane.enabled
      ? await edge.network.startBlockedReader().catch((err) => void core.logger.error({ err }, 'blocked-traffic reader (nflog) did not start'))
      : undefined;
    return { stop: async () => (reader?.stop(), recorder.stop()) };
  },
};

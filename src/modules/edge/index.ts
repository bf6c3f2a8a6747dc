import type { RampartModule } from '../module.js';
import { edgeServices } from './edge.services.js';
import { configMigrations } from './config/config.migrations.js';
import { configSealedColumns } from './config/config.sealed.js';
import { configRoutes } from './config/config.routes.js';

/**
 * The edge firewall (docs/edge.md): AiFw's API for rules, NAT, aliases, schedules, interfaces and configuration
 * history, compiled into Rampart's own nftables table on Linux. Paths /api/v1/*, AiFw's bodies ({"data": ...},
 * {"message": ...}) and errors (status code plus {"error": "..."}).
 */
export const edgeModule: RampartModule = {
  name: 'edge',
  // firewall/ 0001-0019, network/ 0020-0039, frame/ 0040-0059, config/ 0060-0079: names never collide.
  migrations: [...configMigrations],
  sealedColumns: [...Object.values(configSealedColumns)],
  // The commit-confirm window outlives a restart: an expired one reverts now, an open one is timed again.
  start: async (core) => {
    const { config } = edgeServices(core);
    await config.commitConfirm.resume();
    return { stop: async () => config.commitConfirm.stop() };
  },
  http: (core) => {
    const services = edgeServices(core);
    return { name: 'edge', routes: [...configRoutes(services.config)] };
  },
};

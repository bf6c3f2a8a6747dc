import type { RampartModule } from '../module.js';
import { edgeServices } from './edge.services.js';
import { configMigrations } from './config/config.migrations.js';
import { configSealedColumns } from './config/config.sealed.js';
import { configRoutes } from './config/config.routes.js';
import { firewallMigrations } from './firewall/firewall.store.js';
import { firewallRoutes } from './firewall/firewall.routes.js';
import { URL_TABLE_JOB } from './firewall/firewall.service.js';
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
  migrations: [...firewallMigrations, ...networkMigrations, ...frameMigrations, ...configMigrations],
  sealedColumns: [...Object.values(configSealedColumns)],
  jobs: (core) => ({ [URL_TABLE_JOB]: async (job: { payload: { alias_id: string } }, ctx) => void (await edgeServices(core).firewall.aliases.refresh(job.payload.alias_id, ctx.signal)) }),
  http: (core) => {
    const edge = edgeServices(core);
    return {
      name: 'edge',
      routes: [...firewallRoutes(edge.firewall), ...networkRoutes(core, edge.network.net, edge.network.blocked), ...frameRoutes(core, edge.frame), ...configRoutes(edge.config)],
    };
  },
  // The firewall's schedule timer; the metrics series recorded while serving on a host the edge routes (the WebSocket
  // starts the producer on its own too); the blocked-traffic reader (nflog) and the DHCP clients with the data plane on; the commit-confirm window outlives a
  // restart (an expired one reverts now, an open one is timed again).
  start: async (core) => {
    const edge = edgeServices(core);
    const firewall = await edge.firewall.start();
    const frame = await edge.frame.recordWhenRouting();
    const reader = core.config.dataplane.enabled
      ? await edge.network.startBlockedReader().catch((err) => void core.logger.error({ err }, 'blocked-traffic reader (nflog) did not start'))
      : undefined;
    const dhcp = core.config.dataplane.enabled ? await edge.network.startDhcp() : undefined;
    await edge.config.commitConfirm.resume();
    return {
      stop: async () => {
        await edge.config.commitConfirm.stop();
        await dhcp?.stop();
        reader?.stop();
        await frame.stop();
        await firewall.stop();
      },
    };
  },
};

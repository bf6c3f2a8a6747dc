import type { RampartModule } from '../module.js';
import { edgeServices } from './edge.services.js';
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
  migrations: [...firewallMigrations, ...networkMigrations, ...frameMigrations],
  jobs: (core) => ({ [URL_TABLE_JOB]: async (job: { payload: { alias_id: string } }, ctx) => void (await edgeServices(core).firewall.aliases.refresh(job.payload.alias_id, ctx.signal)) }),
  http: (core) => {
    const edge = edgeServices(core);
    // POST /api/v1/reload is the frame part's (ed-fw's stopgap reload route is dropped in this merge).
    return { name: 'edge', routes: [...firewallRoutes(edge.firewall), ...networkRoutes(core, edge.network.net, edge.network.blocked), ...frameRoutes(core, edge.frame)] };
  },
  // The firewall's schedule timer; the metrics series are recorded while serving (the WebSocket starts the producer on its own too).
  start: async (core) => {
    const firewall = await edgeServices(core).firewall.start();
    const frame = await edgeServices(core).frame.startRecording();
    return { stop: async () => { await frame.stop(); await firewall.stop(); } };
  },
};

import type { RampartModule } from '../module.js';
import { edgeServices } from './edge.services.js';
import { firewallMigrations } from './firewall/firewall.store.js';
import { firewallRoutes } from './firewall/firewall.routes.js';
import { URL_TABLE_JOB } from './firewall/firewall.service.js';
import { stopgapReloadRoute } from './firewall/reload.routes.js';

/**
 * The edge firewall (docs/edge.md): AiFw's API for rules, NAT, aliases, schedules, interfaces and configuration
 * history, compiled into Rampart's own nftables table on Linux. Paths /api/v1/*, AiFw's bodies ({"data": ...},
 * {"message": ...}) and errors (status code plus {"error": "..."}).
 */
export const edgeModule: RampartModule = {
  name: 'edge',
  // firewall/ 0001-0019, network/ 0020-0039, frame/ 0040-0059, config/ 0060-0079: names never collide.
  migrations: [...firewallMigrations],
  jobs: (core) => ({ [URL_TABLE_JOB]: async (job: { payload: { alias_id: string } }, ctx) => void (await edgeServices(core).firewall.aliases.refresh(job.payload.alias_id, ctx.signal)) }),
  start: async (core) => edgeServices(core).firewall.start(),
  http: (core) => {
    const edge = edgeServices(core);
    return { name: 'edge', routes: [...firewallRoutes(edge.firewall), stopgapReloadRoute(edge.hooks)] };
  },
};

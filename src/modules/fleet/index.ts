import type { RampartModule } from '../module.js';
import { fleetServices } from './fleet.services.js';
import { fleetSealedColumns } from './fleet.sealed.js';
import { hostMigrations } from './hosts/hosts.migrations.js';
import { sshMigrations } from './ssh/ssh.migrations.js';
import { hostGroupMigrations } from './hosts/host-groups.migrations.js';
import { intelligenceMigrations } from './intelligence/intelligence.migrations.js';
import { intelligenceRoutes } from './routes/intelligence.routes.js';
import { intelligenceJobs } from './intelligence/intelligence.jobs.js';
import { configMigrations } from './config/config.migrations.js';
import { startLivenessScheduler } from './liveness/liveness.service.js';
import { hostsRoutes } from './routes/hosts.routes.js';
import { credentialsRoutes } from './routes/credentials.routes.js';
import { configRoutes } from './routes/config.routes.js';
import { licenseRoutes } from './routes/license.routes.js';
import { livenessRoutes } from './routes/liveness.routes.js';
import { groupsRoutes } from './routes/groups.routes.js';

/** How often the liveness scheduler looks for hosts due a probe (each host's own interval comes from its band). */
const LIVENESS_TICK_MS = 5_000;

/**
 * The OpenWatch API (../shared/specs/fleet-openwatch-api-guide.txt and the source's operations): hosts and SSH
 * credentials, liveness, discovery and intelligence over SSH, compliance scans with Kensa-format rules, alerts,
 * exceptions and remediation. The shared identity routes (auth, users, roles) live in the identity module.
 */
export const fleetModule: RampartModule = {
  name: 'fleet',
  migrations: [...hostMigrations, ...sshMigrations, ...intelligenceMigrations, ...configMigrations, ...hostGroupMigrations],
  jobs: (core) => intelligenceJobs(fleetServices(core)),
  sealedColumns: [...Object.values(fleetSealedColumns)],
  http: (core) => {
    const fleet = fleetServices(core);
    return {
      name: 'fleet',
      routes: [
        ...hostsRoutes(fleet),
        ...credentialsRoutes(fleet),
        ...configRoutes(fleet),
        ...licenseRoutes(fleet),
        ...livenessRoutes(fleet),
        ...groupsRoutes(fleet),
        ...intelligenceRoutes(fleet),
      ],
    };
  },
  async start(core) {
    const scheduler = startLivenessScheduler(fleetServices(core).liveness, { intervalMs: LIVENESS_TICK_MS, logger: core.logger.child({ component: 'fleet.liveness' }) });
    return { stop: () => scheduler.stop() };
  },
};

import type { RampartModule } from '../module.js';
import { fleetServices } from './fleet.services.js';
import { fleetSealedColumns } from './fleet.sealed.js';
import { hostMigrations } from './hosts/hosts.migrations.js';
import { complianceRoutes } from './routes/compliance.routes.js';
import { fleetComplianceRoutes } from './routes/fleet-compliance.routes.js';
import { scansRoutes } from './routes/scans.routes.js';
import { SCAN_JOB } from './scans/scan-job.js';
import { scanMigrations } from './scans/scans.migrations.js';
import { sshMigrations } from './ssh/ssh.migrations.js';

/** How often the scan scheduler looks for hosts that are due. */
const SCAN_SCHEDULER_TICK_MS = 60_000;

/**
 * The OpenWatch API (../shared/specs/fleet-openwatch-api-guide.txt and the source's operations): hosts and SSH
 * credentials, liveness, discovery and intelligence over SSH, compliance scans with Kensa-format rules, alerts,
 * exceptions and remediation. The shared identity routes (auth, users, roles) live in the identity module.
 */
export const fleetModule: RampartModule = {
  name: 'fleet',
  migrations: [...hostMigrations, ...sshMigrations, ...scanMigrations],
  sealedColumns: [...Object.values(fleetSealedColumns)],
  jobs: (core) => ({ [SCAN_JOB]: fleetServices(core).scanning.job }),
  start: async (core) => {
    const { scheduler } = fleetServices(core).scanning;
    scheduler.start(SCAN_SCHEDULER_TICK_MS);
    return { stop: () => scheduler.stop() };
  },
  http: (core) => {
    const { scanning } = fleetServices(core);
    return {
      name: 'fleet',
      routes: [...scansRoutes(scanning), ...complianceRoutes(scanning), ...fleetComplianceRoutes(scanning)],
    };
  },
};

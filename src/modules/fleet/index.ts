import type { RampartModule } from '../module.js';
import { fleetServices } from './fleet.services.js';
import { fleetSealedColumns } from './fleet.sealed.js';
import { hostMigrations } from './hosts/hosts.migrations.js';
import { frameMigrations } from './frame/frame.migrations.js';
import { frameRoutes } from './frame/frame.routes.js';
import './frame/frame.tables.js';

/**
 * The OpenWatch API (../shared/specs/fleet-openwatch-api-guide.txt and the source's operations): hosts and SSH
 * credentials, liveness, discovery and intelligence over SSH, compliance scans with Kensa-format rules, alerts,
 * exceptions and remediation. The shared identity routes (auth, users, roles) live in the identity module.
 */
export const fleetModule: RampartModule = {
  name: 'fleet',
  migrations: [...hostMigrations, ...frameMigrations],
  sealedColumns: [...Object.values(fleetSealedColumns)],
  http: (core) => {
    const services = fleetServices(core);
    return { name: 'fleet', routes: [...frameRoutes(core, services)] };
  },
};

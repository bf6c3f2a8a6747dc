import type { RampartModule } from '../module.js';
import { fleetServices } from './fleet.services.js';
import { fleetSealedColumns } from './fleet.sealed.js';
import { hostMigrations } from './hosts/hosts.migrations.js';
import { alertMigrations } from './alerts/alerts.migrations.js';
import { alertRoutes } from './alerts/alerts.routes.js';
import { startIntervalSweeper } from './common/interval-sweeper.js';
import { notificationMigrations } from './notifications/notifications.migrations.js';
import { notificationRoutes } from './notifications/notifications.routes.js';
import { DELIVER_JOB } from './notifications/channel.types.js';
import { exceptionMigrations } from './exceptions/exceptions.migrations.js';
import { exceptionRoutes } from './exceptions/exceptions.routes.js';
import { activityRoutes } from './activity/activity.routes.js';
import { remediationMigrations } from './remediation/remediation.migrations.js';
import { remediationRoutes } from './remediation/remediation.routes.js';
import { sshMigrations } from './ssh/ssh.migrations.js';

/**
 * The OpenWatch API (../shared/specs/fleet-openwatch-api-guide.txt and the source's operations): hosts and SSH
 * credentials, liveness, discovery and intelligence over SSH, compliance scans with Kensa-format rules, alerts,
 * exceptions and remediation. The shared identity routes (auth, users, roles) live in the identity module.
 */
export const fleetModule: RampartModule = {
  name: 'fleet',
  migrations: [...hostMigrations, ...sshMigrations, ...alertMigrations, ...notificationMigrations, ...exceptionMigrations, ...remediationMigrations],
  sealedColumns: [...Object.values(fleetSealedColumns)],
  http: (core) => {
    fleetServices(core);
    return { name: 'fleet', routes: [...alertRoutes(core), ...notificationRoutes(core), ...exceptionRoutes(core), ...activityRoutes(core), ...remediationRoutes(core)] };
  },
  jobs: (core) => {
    const { alerts, channels } = fleetServices(core);
    return { [DELIVER_JOB]: channels.deliveryHandler((id) => alerts.get(id)) };
  },
  async start(core) {
    const { alerts, exceptions } = fleetServices(core);
    const sweepers = [
      startIntervalSweeper(core, 'alert silences', () => alerts.sweepSilences()),
      startIntervalSweeper(core, 'exception expiry', () => exceptions.sweepExpired()),
    ];
    return {
      async stop() {
        await Promise.all(sweepers.map((s) => s.stop()));
      },
    };
  },
};

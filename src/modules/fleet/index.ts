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
import { configMigrations } from './config/config.migrations.js';
import { startLivenessScheduler } from './liveness/liveness.service.js';
import { hostsRoutes } from './routes/hosts.routes.js';
import { credentialsRoutes } from './routes/credentials.routes.js';
import { configRoutes } from './routes/config.routes.js';
import { licenseRoutes } from './routes/license.routes.js';
import { livenessRoutes } from './routes/liveness.routes.js';

/** How often the liveness scheduler looks for hosts due a probe (each host's own interval comes from its band). */
const LIVENESS_TICK_MS = 5_000;

/**
 * The OpenWatch API (../shared/specs/fleet-openwatch-api-guide.txt and the source's operations): hosts and SSH
 * credentials, liveness, discovery and intelligence over SSH, compliance scans with Kensa-format rules, alerts,
 * exceptions and remediation. The shared identity routes (auth, users, roles) live in the identity module.
 */
export const fleetModule: RampartModule = {
  name: 'fleet',
  migrations: [...hostMigrations, ...sshMigrations, ...configMigrations, ...alertMigrations, ...notificationMigrations, ...exceptionMigrations, ...remediationMigrations],
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
        ...alertRoutes(core),
        ...notificationRoutes(core),
        ...exceptionRoutes(core),
        ...activityRoutes(core),
        ...remediationRoutes(core),
      ],
    };
  },
  jobs: (core) => {
    const { alerts, channels } = fleetServices(core);
    return { [DELIVER_JOB]: channels.deliveryHandler((id) => alerts.get(id)) };
  },
  async start(core) {
    const { alerts, exceptions, liveness } = fleetServices(core);
    const scheduler = startLivenessScheduler(liveness, { intervalMs: LIVENESS_TICK_MS, logger: core.logger.child({ component: 'fleet.liveness' }) });
    const sweepers = [
      startIntervalSweeper(core, 'alert silences', () => alerts.sweepSilences()),
      startIntervalSweeper(core, 'exception expiry', () => exceptions.sweepExpired()),
    ];
    return {
      async stop() {
        await Promise.all([scheduler.stop(), ...sweepers.map((s) => s.stop())]);
      },
    };
  },
};

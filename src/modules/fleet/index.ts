import type { RampartModule } from '../module.js';
import { fleetServices } from './fleet.services.js';
import { fleetSealedColumns } from './fleet.sealed.js';
import { hostMigrations } from './hosts/hosts.migrations.js';
import { hostListMigrations } from './hosts/host-list.migrations.js';
import { alertMigrations } from './alerts/alerts.migrations.js';
import { alertRoutes } from './alerts/alerts.routes.js';
import { startIntervalSweeper } from '../../core/jobs/interval-sweeper.js';
import { notificationMigrations } from './notifications/notifications.migrations.js';
import { notificationRoutes } from './notifications/notifications.routes.js';
import { DELIVER_JOB } from './notifications/channel.types.js';
import { exceptionMigrations } from './exceptions/exceptions.migrations.js';
import { exceptionRoutes } from './exceptions/exceptions.routes.js';
import { activityRoutes } from './activity/activity.routes.js';
import { remediationMigrations } from './remediation/remediation.migrations.js';
import { remediationRoutes } from './remediation/remediation.routes.js';
import { sshMigrations } from './ssh/ssh.migrations.js';
import { hostGroupMigrations } from './hosts/host-groups.migrations.js';
import { intelligenceMigrations } from './intelligence/intelligence.migrations.js';
import { intelligenceRoutes } from './routes/intelligence.routes.js';
import { intelligenceJobs } from './intelligence/intelligence.jobs.js';
import { startIntelligenceScheduler } from './intelligence/intelligence.scheduler.js';
import { configMigrations } from './config/config.migrations.js';
import { startLivenessScheduler } from './liveness/liveness.service.js';
import { hostsRoutes } from './routes/hosts.routes.js';
import { hostKeyRoutes } from './routes/host-keys.routes.js';
import { credentialsRoutes } from './routes/credentials.routes.js';
import { configRoutes } from './routes/config.routes.js';
import { licenseRoutes } from './routes/license.routes.js';
import { livenessRoutes } from './routes/liveness.routes.js';
import { complianceRoutes } from './routes/compliance.routes.js';
import { fleetComplianceRoutes } from './routes/fleet-compliance.routes.js';
import { scansRoutes } from './routes/scans.routes.js';
import { SCAN_JOB } from './scans/scan-job.js';
import { scanMigrations } from './scans/scans.migrations.js';
import { frameMigrations } from './frame/frame.migrations.js';
import { frameRoutes } from './frame/frame.routes.js';
import './frame/frame.tables.js';
import { groupsRoutes } from './routes/groups.routes.js';

/** How often the liveness scheduler looks for hosts due a probe (each host's own interval comes from its band). */
const LIVENESS_TICK_MS = 5_000;
/** How often the scan scheduler looks for hosts that are due a scan (each host's interval comes from its band). */
const SCAN_SCHEDULER_TICK_MS = 60_000;
/** How often hosts due an intelligence collection are queued (each host's own interval comes from the config). */
const INTELLIGENCE_TICK_MS = 60_000;

/**
 * The OpenWatch API (../shared/specs/fleet-openwatch-api-guide.txt and the source's operations): hosts and SSH
 * credentials, liveness, discovery and intelligence over SSH, compliance scans with Kensa-format rules, alerts,
 * exceptions and remediation. The shared identity routes (auth, users, roles) live in the identity module.
 */
export const fleetModule: RampartModule = {
  name: 'fleet',
  migrations: [...hostMigrations, ...sshMigrations, ...intelligenceMigrations, ...configMigrations, ...hostGroupMigrations, ...scanMigrations, ...alertMigrations, ...notificationMigrations, ...exceptionMigrations, ...remediationMigrations, ...frameMigrations, ...hostListMigrations],
  sealedColumns: [...Object.values(fleetSealedColumns)],
  http: (core) => {
    const fleet = fleetServices(core);
    return {
      name: 'fleet',
      routes: [
        ...hostsRoutes(fleet),
        ...hostKeyRoutes(fleet),
        ...credentialsRoutes(fleet),
        ...configRoutes(fleet),
        ...licenseRoutes(fleet),
        ...livenessRoutes(fleet),
        ...groupsRoutes(fleet),
        ...intelligenceRoutes(fleet),
        ...scansRoutes(fleet.scanning),
        ...complianceRoutes(fleet.scanning),
        ...fleetComplianceRoutes(fleet.scanning),
        ...alertRoutes(core),
        ...notificationRoutes(core),
        ...exceptionRoutes(core),
        ...activityRoutes(core),
        ...remediationRoutes(core),
        ...frameRoutes(core, fleet),
      ],
    };
  },
  jobs: (core) => {
    const fleet = fleetServices(core);
    return { ...intelligenceJobs(fleet), [SCAN_JOB]: fleet.scanning.job, [DELIVER_JOB]: fleet.channels.deliveryHandler((id) => fleet.alerts.get(id)) };
  },
  async start(core) {
    const fleet = fleetServices(core);
    const liveness = startLivenessScheduler(fleet.liveness, { intervalMs: LIVENESS_TICK_MS, logger: core.logger.child({ component: 'fleet.liveness' }) });
    fleet.scanning.scheduler.start(SCAN_SCHEDULER_TICK_MS);
    const sweepers = [
      startIntervalSweeper(core, 'alert silences', () => fleet.alerts.sweepSilences()),
      startIntervalSweeper(core, 'exception expiry', () => fleet.exceptions.sweepExpired()),
    ];
    const intelligence = startIntelligenceScheduler(fleet.intelligenceScheduler, {
      intervalMs: INTELLIGENCE_TICK_MS,
      logger: core.logger.child({ component: 'fleet.intelligence' }),
    });
    return {
      async stop() {
        await fleet.scanning.scheduler.stop();
        await Promise.all([liveness.stop(), intelligence.stop(), ...sweepers.map((s) => s.stop())]);
      },
    };
  },
};

import { sql } from 'kysely';
import type { Core } from '../../core/index.js';
import { createAlertService } from './alerts/alert.service.js';
import { alertOnLivenessChange } from './alerts/liveness-alerts.js';
import { notifyAlertReaders } from './alerts/alert-notifications.js';
import { createChannelService } from './notifications/channel.service.js';
import { createExceptionService } from './exceptions/exception.service.js';
import { createActivityService } from './activity/activity.service.js';
import { alertActivity, auditActivity, intelligenceActivity, monitoringActivity, transactionActivity } from './activity/activity.sources.js';
import { createRemediationService } from './remediation/remediation.service.js';
import type { RemediationHosts } from './remediation/remediation.types.js';
import { engineRemediationHosts } from './remediation/engine-hosts.js';
import { createNotificationService } from './frame/notifications.service.js';
import { createPreferencesService } from './frame/preferences.service.js';
import { createConfigService } from './config/config.service.js';
import { createCredentialService } from './credentials/credential.service.js';
import { createHostService } from './hosts/host.service.js';
import { createHostGroupService } from './hosts/host-group.service.js';
import { createHostList } from './hosts/host-list.js';
import { createHostListCache } from './hosts/host-list-cache.js';
import { noCompliance, type ComplianceProvider } from './hosts/host.view.js';
import { createLicenseService } from './license/license.service.js';
import { createLivenessService, type LivenessListener } from './liveness/liveness.service.js';
import { createHostProber, ping, type HostProber } from './liveness/probes.js';
import type { DriftHook } from './scans/drift.js';
import { createScanEngine } from './scans/scan-engine.js';
import { ruleSetLoader } from './scans/rule-set.js';
import type { ScanEngine } from './scans/scan-job.js';
import { createScanning } from './scans/scanning.js';
import { createHostKeyStore } from './ssh/host-keys.store.js';
import { forgetHostKey } from './ssh/host-key-trust.js';
import { createSshConnector } from './ssh/ssh.connector.js';
import type { HostConnector } from './ssh/ssh.types.js';
import { createDiscoveryService } from './intelligence/discovery.service.js';
import { createIntelligenceService } from './intelligence/intelligence.service.js';
import { createIntelligenceScheduler } from './intelligence/intelligence.scheduler.js';
import type { SessionDeps } from './intelligence/host-session.js';

/**
 * Where the fleet's parts plug into each other without importing each other's stores. Each is a plain function
 * the owning part replaces when it wires itself (scans set complianceOf, alerts set onLivenessChange and onDrift,
 * the SSH part sets connector).
 */
export interface FleetHooks {
  /** Compliance summary, last scan and scan state per host; zeros and nulls until scans provide it. */
  complianceOf: ComplianceProvider;
  /** Called after a host's monitoring state changed (host_unreachable / host_recovered alerts). */
  onLivenessChange: LivenessListener;
  /** Called after a completed scan whose score moved by 5 points or more since the host's previous one (scans/drift.ts). */
  onDrift: DriftHook;
  /** The SSH transport liveness probes and scans go through; null probes report the SSH layer as failed. */
  connector: HostConnector | null;
  /** Replaces the real probe layers (tests of the scheduler). */
  prober: HostProber | null;
  /** The ICMP layer: `ping` from this host by default; tests ping from inside their namespaces. */
  ping: (address: string, timeoutSec: number) => Promise<boolean>;
}

/**
 * The fleet services, wired by hand once per core, so the HTTP routes, the job handlers and the background work
 * (liveness probes, the scan scheduler) share one instance. Each part adds its service here.
 */
function createFleetServices(core: Core) {
  const hostKeys = createHostKeyStore(core.db, core.now);
  const hooks: FleetHooks = {
    complianceOf: async () => new Map(),
    onLivenessChange: () => {},
    onDrift: () => {},
    connector: createSshConnector({ hostKeys, audit: core.audit }),
    prober: null,
    ping,
  };
  const groups = createHostGroupService(core);
  const hosts = createHostService(core, groups);
  const credentials = createCredentialService(core, hosts);
  const config = createConfigService(core);
  const license = createLicenseService(core);
  const realProber = createHostProber({
    connector: () => hooks.connector,
    secretFor: (id) => credentials.resolveSecret(id),
    ping: (address, timeoutSec) => hooks.ping(address, timeoutSec),
  });
  const liveness = createLivenessService({
    core,
    hosts,
    config,
    prober: () => hooks.prober ?? realProber,
    onChange: (host, from, to) => hooks.onLivenessChange(host, from, to),
  });
  /** The host list (reads) and the rendered whole list kept current by the hosts' change announcements. */
  const hostList = createHostList({
    hosts,
    livenessOf: (rows) => liveness.views(rows),
    complianceOf: (ids, framework) => hooks.complianceOf(ids, framework),
    fromJson: core.db.dialect.fromJson,
    fromBool: core.db.dialect.fromBool,
  });
  const hostListCache = createHostListCache({
    events: core.events,
    loadAll: async () => (await hostList.list({})).items,
    loadSome: async (ids) => hostList.items(await hosts.rowsByIds(ids)),
    orderedIds: () => hosts.orderedIds(),
    othersWrote:
      core.db.dialect.name === 'sqlite'
        ? async () => (await sql<{ data_version: number }>`pragma data_version`.execute(core.db.kysely)).rows[0]?.data_version
        : undefined,
  });
  const channels = createChannelService(core);
  const notifications = createNotificationService(core);
  const alerts = createAlertService({
    core,
    onCreated: async (alert) => {
      await channels.enqueueDeliveries(alert);
      await notifyAlertReaders(core, notifications, alert);
    },
  });
  hooks.onLivenessChange = (host, from, to) => alertOnLivenessChange(alerts, host.id, from, to);
  hooks.onDrift = (event) => alerts.raiseDrift(event).then(() => undefined);
  const exceptions = createExceptionService({ core, requireFeature: (feature) => license.require(feature) });
  const activity = createActivityService();
  for (const source of [alertActivity, auditActivity, transactionActivity, monitoringActivity, intelligenceActivity]) activity.register(source(core.db));
  const session: SessionDeps = {
    connector: () => {
      if (!hooks.connector) throw new Error('no SSH connector is configured');
      return hooks.connector;
    },
    secretFor: (hostId) => credentials.resolveSecret(hostId),
    connectTimeoutMs: async () => (await config.get('connectivity')).timeout_sec * 1000,
  };
  const discovery = createDiscoveryService({ core, hosts, session });
  const intelligence = createIntelligenceService({ core, hosts, session });
  const intelligenceScheduler = createIntelligenceScheduler({ core, config });
  const services = {
    core,
    hooks,
    notifications,
    preferences: createPreferencesService(core),
    discovery,
    intelligence,
    intelligenceScheduler,
    hosts,
    hostList,
    hostListCache,
    groups,
    credentials,
    config,
    license,
    liveness,
    noCompliance,
    hostKeys,
    /** The SSH transport (hooks.connector), under the name the SSH part gave it. */
    get connector(): HostConnector | null {
      return hooks.connector;
    },
    set connector(connector: HostConnector | null) {
      hooks.connector = connector;
    },
    forgetHostKey: (input: Parameters<typeof forgetHostKey>[1]) => forgetHostKey({ hostKeys, audit: core.audit }, input),
    /** What scans run on: SSH through hooks.connector, the rule set (fleet.rules_dir or built-in), and the scan settings. */
    scanEngine: createScanEngine({
      connector: () => hooks.connector,
      secretFor: (id) => credentials.resolveSecret(id),
      config,
      rules: ruleSetLoader(core.config.fleet.rules_dir),
    }) as ScanEngine,
    scanning: undefined as unknown as ReturnType<typeof createScanning>,
    alerts,
    channels,
    exceptions,
    activity,
    /** Plans and SSH sessions for remediation: by default the scan engine's rule set and SSH session. */
    remediationHosts: undefined as unknown as RemediationHosts,
    remediation: undefined as unknown as ReturnType<typeof createRemediationService>,
  };
  services.remediationHosts = engineRemediationHosts(core.db, () => services.scanEngine);
  services.remediation = createRemediationService({ core, hosts: () => services.remediationHosts });
  services.scanning = createScanning(core, { engine: () => services.scanEngine, onDrift: () => hooks.onDrift });
  hooks.complianceOf = services.scanning.complianceOf;
  return services;
}

export type FleetServices = ReturnType<typeof createFleetServices>;

const byCore = new WeakMap<Core, FleetServices>();

export function fleetServices(core: Core): FleetServices {
  let services = byCore.get(core);
  if (!services) byCore.set(core, (services = createFleetServices(core)));
  return services;
}

import type { RampartModule } from '../module.js';
import { egressPermissions } from './egress.permissions.js';
import { egressServices } from './egress.services.js';
import { policyMigrations } from './policy/policy.migrations.js';
import { policiesRoutes } from './routes/policies.routes.js';
import { policyDocumentRoutes } from './routes/policy-document.routes.js';
import { dnsCacheRoutes } from './routes/dns-cache.routes.js';
import { startDnsProxy } from './dns/start-dns-proxy.js';
import { settingsMigrations } from './settings/settings.migrations.js';
import { settingsSealedColumns } from './settings/settings.sealed.js';
import { settingsRoutes } from './routes/settings.routes.js';
import { integrationsRoutes } from './routes/integrations.routes.js';
import { wiretapRoutes } from './routes/wiretap.routes.js';
import { statsRoutes } from './routes/stats.routes.js';
import { sysdumpRoutes } from './routes/sysdump.routes.js';
import { findingsRoutes } from './routes/findings.routes.js';
import { policyStatusRoutes } from './routes/policy-status.routes.js';
import { dataplaneMigrations } from './dataplane/dataplane.migrations.js';
import { threatMigrations } from './threats/threat.migrations.js';
import { threatsRoutes } from './routes/threats.routes.js';
import { clusterRoutes } from './routes/cluster.routes.js';
import { registerReadiness } from './dataplane/readiness.js';

/**
 * The Neuwerk API (../shared/specs/egress-neuwerk-http-api.txt) over nftables and a DNS proxy: policies compiled
 * to one nft table and a DNS policy, audit findings, the wiretap, runtime settings, Kubernetes integrations,
 * stats and sysdump. Identity routes (token-login, whoami, service accounts, SSO) live in the identity module.
 */
export const egressModule: RampartModule = {
  name: 'egress',
  migrations: [...policyMigrations, ...settingsMigrations, ...dataplaneMigrations, ...threatMigrations],
  sealedColumns: [...Object.values(settingsSealedColumns)],
  permissions: egressPermissions,
  // Always: Kubernetes selectors are resolved in the background. With dataplane.enabled also: the data plane applies
  // the newest policy generation and follows new ones, its stats counters are installed, the DNS proxy answers
  // clients and opens the addresses it hands out, and threat intel refreshes its feeds and matches what the proxy is
  // asked and the flows conntrack reports.
  start: async (core) => {
    const services = egressServices(core);
    services.kubernetes.start();
    if (!core.config.dataplane.enabled) return { stop: () => services.kubernetes.stop() };
    await services.runtime.start();
    await services.counters?.install();
    await services.threats.start();
    services.dnsProxy = await startDnsProxy(services);
    const unsubscribeFlows = services.wiretap.flows.subscribe((event) => event.type === 'flow' && services.threats.observeFlow(event.flow));
    const unregister = registerReadiness(core, services);
    return {
      async stop() {
        unregister();
        unsubscribeFlows();
        await services.threats.stop();
        await services.dnsProxy?.stop();
        services.dnsProxy = null;
        await services.runtime.stop();
        await services.counters?.remove();
        await services.kubernetes.stop();
      },
    };
  },
  http: (core) => {
    const services = egressServices(core);
    return {
      name: 'egress',
      routes: [
        ...policiesRoutes(services.policies),
        ...policyDocumentRoutes(services.policies, services.policyTelemetry),
        ...dnsCacheRoutes(services),
        ...settingsRoutes(services),
        ...integrationsRoutes(services.integrations),
        ...wiretapRoutes(services),
        ...statsRoutes(services),
        ...sysdumpRoutes(services),
        ...findingsRoutes(services),
        ...threatsRoutes(services.threats),
        ...clusterRoutes(),
        ...policyStatusRoutes(services),
      ],
    };
  },
};

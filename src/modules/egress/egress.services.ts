import type { Core } from '../../core/index.js';
import { createPolicyService, type PolicyDeps } from './policy/policy.service.js';
import { createDnsCache } from './dns/dns-cache.js';
import { createPolicyTelemetry } from './policy/policy-telemetry.js';
import { createPerformanceMode } from './settings/performance-mode.js';
import { createIntegrationService } from './integrations/integration.service.js';
import { createKubernetesResolver } from './integrations/kubernetes.js';
import { createKubernetesSources } from './integrations/kubernetes-sources.js';
import { createTlsInterceptCa } from './settings/tls-intercept-ca.js';
import { createWiretap } from './wiretap/wiretap.js';
import type { DnsProxy } from './dns/dns-proxy.js';
import { createFindingsStore } from './findings/findings.store.js';
import { createNftDataplane } from './dataplane/nft.js';
import { createDataplaneRuntime } from './dataplane/runtime.js';
import { createThreatService } from './threats/threat.service.js';
import { dnsVerdict } from './dns/dns-verdict.js';
import { nodeIdOf } from './node-id.js';
import { createNftCounters } from './dataplane/nft-counters.js';
import { createFlowStats } from './dataplane/flow-stats.js';

/**
 * The egress services, wired by hand once per core: the HTTP routes and the data-plane runtime (started by
 * `serve` with dataplane.enabled) share one instance, so a policy write can wait for the generation it made.
 */
function createEgressServices(core: Core) {
  const integrations = createIntegrationService(core);
  const findings = createFindingsStore(core.config.egress.findings_max);
  const dnsCache = createDnsCache();
  const kubernetesApi = createKubernetesResolver({ credentials: integrations.credentials });
  // Looked up lazily: the policy service uses integrations, kubernetes, tlsCa and runtime of this same object.
  const policies = createPolicyService(core, (): PolicyDeps => egressServices(core));
  // Built (not started) only with dataplane.enabled: constructing it touches nothing; `start` applies the table.
  const dataplane = core.config.dataplane.enabled ? createNftDataplane() : null;
  const runtime = createDataplaneRuntime(core, { dataplane, findings, hostnameOf: (ip) => dnsCache.hostnameOf(ip) });
  return {
    core,
    policies,
    dnsCache,
    policyTelemetry: createPolicyTelemetry(() => core.now()),
    performanceMode: createPerformanceMode(core),
    integrations,
    /** Asks an integration's API server now. */
    kubernetesApi,
    /** Selectors resolved in the background; the policy compiler reads what they resolved to (`resolve`). */
    kubernetes: createKubernetesSources({
      api: kubernetesApi,
      policies: () => policies,
      intervalMs: core.config.egress.kubernetes_resync_ms,
      afterCommit: (fn) => core.db.afterCommit(fn),
      logger: core.logger.child({ component: 'kubernetes-sources' }),
      now: core.now,
    }),
    tlsCa: createTlsInterceptCa(core),
    /** The running DNS proxy while the data plane is enabled (set by the module's start hook), for stats. */
    dnsProxy: null as DnsProxy | null,
    wiretap: createWiretap(core, { enabled: () => runtime.enabled, hostnameOf: (ip) => dnsCache.hostnameOf(ip) }),
    findings,
    dataplane,
    runtime,
    // A flow's source group is the one whose sources claim its client under the running policy.
    threats: createThreatService(core, { nodeId: nodeIdOf(core), sourceGroupOf: (ip) => dnsVerdict(runtime.dnsPolicy, ip, '').group ?? 'default' }),
    /** Forward-hook counters for /api/v1/stats; installed by the start hook (dataplane.enabled only). */
    counters: dataplane ? createNftCounters() : null,
    flowStats: createFlowStats(),
  };
}

export type EgressServices = ReturnType<typeof createEgressServices>;

const instances = new WeakMap<Core, EgressServices>();

export function egressServices(core: Core): EgressServices {
  let services = instances.get(core);
  if (!services) instances.set(core, (services = createEgressServices(core)));
  return services;
}

import { nodeIdOf } from '../node-id.js';
import type { Core } from '../../../core/index.js';
import type { DnsPolicy } from '../compiler/compiled.types.js';
import type { Dataplane } from '../dataplane/dataplane.types.js';
import type { DnsCache } from './dns-cache.js';
import { createDnsProxy, type DnsDenyFinding, type DnsProxy, type DnsProxyDeps } from './dns-proxy.js';

/** What the proxy needs of the egress services (egress.services.ts). */
export interface DnsProxyServices {
  core: Pick<Core, 'config' | 'logger' | 'now'>;
  runtime?: { readonly dnsPolicy: DnsPolicy | null } | null;
  dataplane?: Pick<Dataplane, 'learn'> | null;
  findings?: { record(finding: DnsDenyFinding): void } | null;
  policyTelemetry?: { recordHit(sourceGroupId: string): void } | null;
  threats?: DnsProxyDeps['threats'];
  dnsCache: DnsCache;
}

/** Starts the proxy on egress.dns_listen; the module's start hook calls it after the data plane runtime. */
export function startDnsProxy(services: DnsProxyServices): Promise<DnsProxy> {
  const { config, logger } = services.core;
  const egress = config.egress;
  return createDnsProxy({
    listen: egress.dns_listen,
    upstreams: egress.dns_upstreams,
    upstreamTimeoutMs: egress.dns_upstream_timeout_ms,
    ttlGraceS: egress.dns_ttl_grace_s,
    nodeId: nodeIdOf(services.core),
    dnsPolicy: () => services.runtime?.dnsPolicy ?? null,
    dataplane: () => services.dataplane ?? null,
    findings: services.findings ?? null,
    telemetry: services.policyTelemetry ?? null,
    threats: services.threats ?? null,
    cache: services.dnsCache,
    logger: logger.child({ component: 'dns-proxy' }),
    now: () => services.core.now(),
  }).then((proxy) => {
    logger.info({ address: `${proxy.address.host}:${proxy.address.port}`, upstreams: egress.dns_upstreams }, 'DNS proxy listening');
    return proxy;
  });
}

import type { RuntimeStatus } from '../dataplane/runtime.js';
import type { DnsCache } from '../dns/dns-cache.js';
import type { DnsProxyStats } from '../dns/dns-proxy.js';
import type { TlsInterceptCa } from '../settings/tls-intercept-ca.js';

/** What the stats snapshot reads of the egress services (egress.services.ts). */
export interface StatsSources {
  runtime: { status(): RuntimeStatus };
  dnsCache: Pick<DnsCache, 'entries'>;
  /** The running DNS proxy (set by the module's start hook while the data plane is enabled), else null. */
  dnsProxy?: { stats(): DnsProxyStats } | null;
  tlsCa: Pick<TlsInterceptCa, 'status'>;
  wiretap: { flows: { readonly listeners: number } };
}

export interface StatsSnapshot {
  dataplane: RuntimeStatus & { wiretap_streams: number };
  dns: { proxy_running: boolean; cache_entries: number } & Partial<DnsProxyStats>;
  tls: { intercept_ca_configured: boolean; intercept_ca_fingerprint_sha256: string | null };
  /** Neuwerk's DHCP section: Rampart serves no DHCP. */
  dhcp: Record<string, never>;
  /** Cluster mode is a later issue. */
  cluster: { enabled: false };
}

/** The runtime snapshot GET /api/v1/stats returns and sysdumps carry, in Neuwerk's five sections. */
export async function collectStats(s: StatsSources): Promise<StatsSnapshot> {
  const ca = await s.tlsCa.status();
  const proxy = s.dnsProxy ?? null;
  return {
    dataplane: { ...s.runtime.status(), wiretap_streams: s.wiretap.flows.listeners },
    dns: { proxy_running: proxy !== null, cache_entries: s.dnsCache.entries().length, ...(proxy ? proxy.stats() : {}) },
    tls: { intercept_ca_configured: ca.configured, intercept_ca_fingerprint_sha256: ca.fingerprint_sha256 },
    dhcp: {},
    cluster: { enabled: false },
  };
}

import type { RuntimeStatus } from '../dataplane/runtime.js';
import type { FlowStats, ConntrackCounts, KernelCounters } from '../dataplane/flow-stats.js';
import type { NftCounters, ForwardCounters } from '../dataplane/nft-counters.js';
import type { DnsCache } from '../dns/dns-cache.js';
import type { DnsProxyStats } from '../dns/dns-proxy.js';
import type { TlsInterceptCa } from '../settings/tls-intercept-ca.js';

/** What the stats snapshot reads of the egress services (egress.services.ts). */
export interface StatsSources {
  runtime: { readonly enabled: boolean; status(): RuntimeStatus };
  dnsCache: Pick<DnsCache, 'entries'>;
  /** The running DNS proxy (set by the module's start hook while the data plane is enabled), else null. */
  dnsProxy?: { stats(): DnsProxyStats } | null;
  tlsCa: Pick<TlsInterceptCa, 'status'>;
  wiretap: { flows: { readonly listeners: number } };
  /** The forward-hook counters (installed by the start hook while the data plane runs), else null. */
  counters?: Pick<NftCounters, 'read'> | null;
  flowStats?: Pick<FlowStats, 'conntrack' | 'kernel'> | null;
  policies?: { effective(): Promise<{ generation: number }> };
}

interface DecisionCounters {
  allow: number;
  deny: number;
  /** Flows waiting on a TLS verdict: Rampart's data plane decides none, so always 0. */
  pending_tls: number;
}

/** Neuwerk's StatsSnapshot, each section with Rampart's own fields beside Neuwerk's. */
export interface StatsSnapshot {
  dataplane: RuntimeStatus & ConntrackCounts & KernelCounters & {
    packets: DecisionCounters;
    bytes: DecisionCounters;
    flows_opened: number;
    flows_closed: number;
    wiretap_streams: number;
    /** Why the counters could not be read (nft or conntrack missing), else null. */
    stats_error: string | null;
  };
  dns: { queries_allow: number; queries_deny: number; nxdomain_policy: number; nxdomain_upstream: number; proxy_running: boolean; cache_entries: number } & Partial<DnsProxyStats>;
  tls: { allow: number; deny: number; intercept_ca_configured: boolean; intercept_ca_fingerprint_sha256: string | null };
  /** Rampart runs no DHCP client on the gateway: no lease. */
  dhcp: { lease_active: false; lease_expiry_epoch: 0 };
  cluster: ClusterStats;
}

interface ClusterStats {
  enabled: false;
  is_leader: boolean;
  current_term: number;
  last_log_index: number;
  last_applied: number;
  node_count: number;
  follower_count: number;
  followers_caught_up: number;
  nodes: Array<{ node_id: string; addr: string; role: string; caught_up: boolean; lag_entries: number | null; matched_index: number | null }>;
}

const ZERO_FORWARD: ForwardCounters = { forwarded: { packets: 0, bytes: 0 }, allowed: { packets: 0, bytes: 0 }, flows_opened: 0 };
const ZERO_CONNTRACK: ConntrackCounts = { active_flows: 0, active_nat_entries: 0, nat_port_utilization: 0 };
const ZERO_KERNEL: KernelCounters = { ipv4_fragments_dropped: 0, ipv4_ttl_exceeded: 0 };

/** The data plane's counters, measured while it runs: nft counters around the policy chain, conntrack, the kernel. */
async function dataplaneCounters(s: StatsSources) {
  if (!s.runtime.enabled || !s.counters || !s.flowStats) return { forward: ZERO_FORWARD, conntrack: ZERO_CONNTRACK, kernel: ZERO_KERNEL, error: null };
  try {
    const [forward, conntrack, kernel] = await Promise.all([s.counters.read(), s.flowStats.conntrack(), s.flowStats.kernel()]);
    return { forward, conntrack, kernel, error: null };
  } catch (err) {
    return { forward: ZERO_FORWARD, conntrack: ZERO_CONNTRACK, kernel: ZERO_KERNEL, error: (err as Error).message };
  }
}

/** The runtime snapshot GET /api/v1/stats returns and sysdumps carry, in Neuwerk's five sections. */
export async function collectStats(s: StatsSources): Promise<StatsSnapshot> {
  const ca = await s.tlsCa.status();
  const proxy = s.dnsProxy ? s.dnsProxy.stats() : null;
  const status = s.runtime.status();
  const { forward, conntrack, kernel, error } = await dataplaneCounters(s);
  const decisions = (key: 'packets' | 'bytes'): DecisionCounters => ({
    allow: forward.allowed[key],
    deny: Math.max(0, forward.forwarded[key] - forward.allowed[key]),
    pending_tls: 0,
  });
  const newest = s.policies ? (await s.policies.effective()).generation : status.generation;
  return {
    dataplane: {
      ...status,
      ...conntrack,
      packets: decisions('packets'),
      bytes: decisions('bytes'),
      flows_opened: forward.flows_opened,
      // Flows opened since the counters started that conntrack no longer holds (it forgets a flow once it ends).
      flows_closed: Math.max(0, forward.flows_opened - conntrack.active_flows),
      ...kernel,
      wiretap_streams: s.wiretap.flows.listeners,
      stats_error: error,
    },
    dns: {
      queries_allow: proxy ? proxy.allowed + proxy.audited : 0,
      queries_deny: proxy?.denied ?? 0,
      // Every denied query is answered NXDOMAIN by policy.
      nxdomain_policy: proxy?.denied ?? 0,
      nxdomain_upstream: proxy?.nxdomain_upstream ?? 0,
      proxy_running: proxy !== null,
      cache_entries: s.dnsCache.entries().length,
      ...(proxy ?? {}),
    },
    // Rampart's data plane makes no TLS decisions yet (docs/egress.md): nothing allowed or denied on TLS.
    tls: { allow: 0, deny: 0, intercept_ca_configured: ca.configured, intercept_ca_fingerprint_sha256: ca.fingerprint_sha256 },
    dhcp: { lease_active: false, lease_expiry_epoch: 0 },
    cluster: singleNode(status, newest),
  };
}

/** One node, its own leader: the log is the policy generations, applied as far as its data plane runs them. */
function singleNode(status: RuntimeStatus, newest: number): ClusterStats {
  const applied = status.enabled ? status.generation : newest;
  return {
    enabled: false,
    is_leader: true,
    current_term: 0,
    last_log_index: newest,
    last_applied: applied,
    node_count: 1,
    follower_count: 0,
    followers_caught_up: 0,
    nodes: [{ node_id: status.node_id, addr: '', role: 'leader', caught_up: applied >= newest, lag_entries: Math.max(0, newest - applied), matched_index: applied }],
  };
}

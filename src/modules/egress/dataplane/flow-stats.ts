import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { parseConntrackEntries } from '../wiretap/conntrack-parse.js';
import { listConntrack } from '../../../core/dataplane/conntrack-command.js';

/** Ports one SNAT address can hand out above the privileged range: what NAT utilization is measured against. */
const NAT_PORTS = 65_535 - 1_024 + 1;

export interface ConntrackCounts {
  /** Forwarded flows in the conntrack table now: neither end is an address of this host. */
  active_flows: number;
  /** Those whose reply tuple shows an address rewritten (masquerade/SNAT/DNAT). */
  active_nat_entries: number;
  nat_port_utilization: number;
}

export interface KernelCounters {
  /** IPv4 fragments the kernel dropped failing reassembly (Ip ReasmFails). */
  ipv4_fragments_dropped: number;
  /** ICMP time-exceeded messages sent for packets whose TTL ran out here (Icmp OutTimeExcds). */
  ipv4_ttl_exceeded: number;
}

export interface FlowStatsOptions {
  /** The conntrack program with leading arguments; ['conntrack'] by default. */
  command?: string[];
  /** Addresses of this host (flows to or from them are not forwarded); this process's interfaces by default. */
  localAddresses?: () => Set<string>;
  snmpPath?: string;
  timeoutMs?: number;
}

const interfaceAddresses = () => new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)));

/** The conntrack table and the kernel's IPv4 counters of the network namespace the gateway runs in. */
export function createFlowStats(opts: FlowStatsOptions = {}) {
  const command = opts.command ?? ['conntrack'];
  const local = opts.localAddresses ?? interfaceAddresses;

  function list(): Promise<string> {
    return listConntrack(command, opts.timeoutMs);
  }

  return {
    async conntrack(): Promise<ConntrackCounts> {
      const mine = local();
      const forwarded = parseConntrackEntries(await list()).filter((e) => !mine.has(e.flow.src_ip) && !mine.has(e.flow.dst_ip));
      const natted = forwarded.filter((e) => e.natted).length;
      return { active_flows: forwarded.length, active_nat_entries: natted, nat_port_utilization: natted / NAT_PORTS };
    },
    async kernel(): Promise<KernelCounters> {
      const snmp = parseSnmp(await readFile(opts.snmpPath ?? '/proc/net/snmp', 'utf8'));
      return { ipv4_fragments_dropped: snmp.Ip?.ReasmFails ?? 0, ipv4_ttl_exceeded: snmp.Icmp?.OutTimeExcds ?? 0 };
    },
  };
}

export type FlowStats = ReturnType<typeof createFlowStats>;

/** /proc/net/snmp: per protocol, a line of names then a line of values. */
export function parseSnmp(text: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const lines = text.split('\n').filter(Boolean);
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const [proto, ...names] = lines[i].split(/\s+/);
    const values = lines[i + 1].split(/\s+/).slice(1);
    out[proto.replace(/:$/, '')] = Object.fromEntries(names.map((n, j) => [n, Number(values[j]) || 0]));
  }
  return out;
}

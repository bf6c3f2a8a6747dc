import type { FindingInput } from '../findings/findings.types.js';
import type { DeniedTuple } from './dataplane.types.js';

const keyOf = (t: DeniedTuple) =>
  [t.kind, t.policy_id, t.group, t.audit, t.src_ip, t.dst_ip, t.proto, t.dst_port, t.icmp_type, t.icmp_code].join('|');

/**
 * Turns successive reads of the deny sets' packet counters into findings: each read reports the packets since the
 * previous one. A counter below its last value belongs to a new element (the old one expired or the table was
 * replaced), so all of its packets are new.
 */
export class DenyCounters {
  private last = new Map<string, number>();

  /** Forget every counter: the table was just replaced, its sets start empty. */
  reset(): void {
    this.last.clear();
  }

  findings(tuples: DeniedTuple[], at: number, nodeId: string, hostnameOf: (ip: string) => string | null): FindingInput[] {
    const next = new Map<string, number>();
    const out: FindingInput[] = [];
    for (const t of tuples) {
      const key = keyOf(t);
      const previous = this.last.get(key) ?? 0;
      const delta = t.packets >= previous ? t.packets - previous : t.packets;
      next.set(key, t.packets);
      if (delta <= 0) continue;
      out.push({
        finding_type: t.kind === 'l4' ? 'l4_deny' : 'icmp_deny',
        policy_id: t.policy_id,
        source_group: t.group,
        hostname: hostnameOf(t.dst_ip) ?? undefined,
        dst_ip: t.dst_ip,
        dst_port: t.dst_port ?? undefined,
        proto: t.proto ?? undefined,
        icmp_type: t.icmp_type ?? undefined,
        icmp_code: t.icmp_code ?? undefined,
        count: delta,
        at,
        node_id: nodeId,
      });
    }
    this.last = next;
    return out;
  }
}

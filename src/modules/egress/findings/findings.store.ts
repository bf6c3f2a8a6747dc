import type { Finding, FindingFilter, FindingInput, FindingsStore } from './findings.types.js';

export type { Finding, FindingFilter, FindingInput, FindingsStore } from './findings.types.js';

const KEY_FIELDS = ['finding_type', 'policy_id', 'source_group', 'hostname', 'dst_ip', 'dst_port', 'proto', 'icmp_type', 'icmp_code', 'query_type'] as const;

const keyOf = (input: FindingInput) => JSON.stringify(KEY_FIELDS.map((f) => input[f] ?? null));

function newFinding(input: FindingInput, count: number): Finding {
  return {
    finding_type: input.finding_type,
    policy_id: input.policy_id,
    source_group: input.source_group,
    hostname: input.hostname ?? null,
    dst_ip: input.dst_ip ?? null,
    dst_port: input.dst_port ?? null,
    proto: input.proto ?? null,
    fqdn: input.fqdn ?? null,
    sni: input.sni ?? null,
    icmp_type: input.icmp_type ?? null,
    icmp_code: input.icmp_code ?? null,
    query_type: input.query_type ?? null,
    first_seen: input.at,
    last_seen: input.at,
    count,
    node_ids: [input.node_id],
  };
}

/**
 * This node's audit findings, in memory: de-duplicated by key (count, first and last seen, node ids), at most
 * `max` of them. The map is kept in order of last update, so the first entry is the one seen longest ago and is
 * the one evicted.
 */
export function createFindingsStore(max: number): FindingsStore {
  const findings = new Map<string, Finding>();
  return {
    record(input) {
      const key = keyOf(input);
      const count = input.count ?? 1;
      const existing = findings.get(key);
      if (!existing) {
        findings.set(key, newFinding(input, count));
        if (findings.size > max) findings.delete(findings.keys().next().value!);
        return;
      }
      existing.count += count;
      existing.first_seen = Math.min(existing.first_seen, input.at);
      existing.last_seen = Math.max(existing.last_seen, input.at);
      if (!existing.node_ids.includes(input.node_id)) existing.node_ids.push(input.node_id);
      existing.fqdn = input.fqdn ?? existing.fqdn;
      existing.sni = input.sni ?? existing.sni;
      findings.delete(key);
      findings.set(key, existing);
    },
    query(filter: FindingFilter) {
      const types = filter.finding_types?.length ? new Set(filter.finding_types) : null;
      const groups = filter.source_groups?.length ? new Set(filter.source_groups) : null;
      const limit = filter.limit ?? 500;
      const out: Finding[] = [];
      // Newest first: walk the map backwards.
      const all = [...findings.values()];
      for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
        const f = all[i];
        if (filter.policy_id !== undefined && f.policy_id !== filter.policy_id) continue;
        if (types && !types.has(f.finding_type)) continue;
        if (groups && !groups.has(f.source_group)) continue;
        if (filter.since !== undefined && f.last_seen < filter.since) continue;
        if (filter.until !== undefined && f.first_seen > filter.until) continue;
        out.push({ ...f, node_ids: [...f.node_ids] });
      }
      return out.sort((a, b) => b.last_seen - a.last_seen);
    },
    get size() {
      return findings.size;
    },
  };
}

export const FINDING_TYPES = ['dns_deny', 'l4_deny', 'tls_deny', 'icmp_deny'] as const;
export type FindingType = (typeof FINDING_TYPES)[number];

/** One observation of denied (or, in audit mode, recorded) traffic. */
export interface FindingInput {
  finding_type: FindingType;
  policy_id: string;
  source_group: string;
  hostname?: string;
  dst_ip?: string;
  dst_port?: number;
  /** IP protocol number. */
  proto?: number;
  fqdn?: string;
  sni?: string;
  icmp_type?: number;
  icmp_code?: number;
  /** DNS type number (1 A, 28 AAAA ...). */
  query_type?: number;
  /** Occurrences this observation stands for; 1 by default. */
  count?: number;
  /** Unix seconds. */
  at: number;
  node_id: string;
}

/** A finding as the API returns it: observations with the same key merged. */
export interface Finding {
  finding_type: FindingType;
  policy_id: string;
  source_group: string;
  hostname: string | null;
  dst_ip: string | null;
  dst_port: number | null;
  proto: number | null;
  fqdn: string | null;
  sni: string | null;
  icmp_type: number | null;
  icmp_code: number | null;
  query_type: number | null;
  first_seen: number;
  last_seen: number;
  count: number;
  node_ids: string[];
}

export interface FindingFilter {
  policy_id?: string;
  finding_types?: FindingType[];
  source_groups?: string[];
  /** Unix seconds: findings last seen at or after. */
  since?: number;
  /** Unix seconds: findings first seen at or before. */
  until?: number;
  limit?: number;
}

export interface FindingsStore {
  record(input: FindingInput): void;
  /** Newest last_seen first. */
  query(filter: FindingFilter): Finding[];
  readonly size: number;
}

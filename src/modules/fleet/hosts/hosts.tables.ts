/**
 * The fleet's host and credential tables, typed for Kysely. Timestamps are ISO strings; json columns JSON text on
 * SQLite and jsonb on PostgreSQL (read them with db.dialect.fromJson); booleans 0/1 on SQLite (db.dialect.fromBool).
 * Columns ending in _sealed hold secret-box ciphertexts (fleet.sealed.ts).
 */
type Bool = number | boolean;

export type CredentialScope = 'system' | 'host';
export type AuthMethod = 'ssh_key' | 'password' | 'both';

/** A managed host. Soft-deleted rows keep their id (scan history points at them) and free their hostname. */
export interface FleetHostRow {
  id: string;
  hostname: string;
  /** Where SSH and ICMP go: an IPv4/IPv6 literal or a resolvable name. */
  ip_address: string;
  port: number;
  display_name: string | null;
  description: string | null;
  environment: string;
  /** JSON array of strings. */
  tags: string;
  group_id: string | null;
  /** SSH user when no credential names one. */
  username: string | null;
  maintenance_mode: Bool;
  /** 1 (highest) .. 10: the scheduler's tie-breaker. */
  check_priority: number;
  /** Filled by discovery (cat /etc/os-release ...): rhel, debian, ubuntu ... */
  os_family: string | null;
  os_version: string | null;
  architecture: string | null;
  /** e.g. rhel9, ubuntu2204, debian12: the suffix of per-OS framework keys. */
  platform_identifier: string | null;
  os_discovered_at: string | null;
  /** Framework the host is graded against by default; null = the system's default framework. */
  target_framework: string | null;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

/** An SSH credential for one host (scope host, scope_id = host id) or the whole fleet (scope system). */
export interface FleetCredentialRow {
  id: string;
  scope: CredentialScope;
  scope_id: string | null;
  name: string;
  description: string | null;
  username: string;
  auth_method: AuthMethod;
  /** Sealed secrets; null when the method does not use them. */
  password_sealed: string | null;
  private_key_sealed: string | null;
  private_key_passphrase_sealed: string | null;
  /** Parsed from the key when it was stored (SHA256:... as ssh-keygen -l prints it). */
  ssh_key_fingerprint: string | null;
  ssh_key_type: string | null;
  ssh_key_bits: number | null;
  ssh_key_comment: string | null;
  is_default: Bool;
  is_active: Bool;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    fleet_hosts: FleetHostRow;
    fleet_credentials: FleetCredentialRow;
  }
}

/**
 * The overlay module's tables, typed for Kysely. Timestamps are ISO strings; json columns JSON text on SQLite and
 * jsonb on PostgreSQL (read them with db.dialect.fromJson); booleans 0/1 on SQLite (db.dialect.fromBool).
 * Columns named private_key or *_sealed hold secret-box ciphertexts (overlay.sealed.ts); *_hash one-way hashes.
 */
type Bool = number | boolean;

export type NetworkRole = 'owner' | 'member';
export type NodeStatus = 'pending' | 'active' | 'offline' | 'revoked';

export interface OverlayNetworkRow {
  id: string;
  name: string;
  /** IPv4 CIDR the nodes' addresses come from, e.g. 10.42.0.0/24. */
  subnet_cidr: string;
  /** Nebula certificate version of the network's CA and hosts: 1 (default, nebula < 1.10 reads it) or 2. */
  cert_version: number;
  auto_approve_nodes: Bool;
  /** Days a host certificate lasts unless a request says otherwise (clamped inside the CA's validity). */
  default_cert_days: number;
  /** Bumped by every change that alters any node's config (nodes, firewall, CA, revocations): config caches key on it. */
  config_revision: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** A network's CAs: one active; rotated-out ones stay (trusted in configs) until they expire. */
export interface OverlayCaRow {
  id: string;
  network_id: string;
  certificate_pem: string;
  /** Sealed PEM of the ed25519 private key. */
  private_key: string;
  fingerprint: string;
  not_before: string;
  not_after: string;
  active: Bool;
  created_at: string;
}

export interface OverlayNetworkPermissionRow {
  network_id: string;
  user_id: string;
  role: NetworkRole;
  can_manage_nodes: Bool;
  can_invite_users: Bool;
  can_manage_firewall: Bool;
  invited_by: string | null;
  created_at: string;
}

export interface OverlayGroupFirewallRow {
  network_id: string;
  group_name: string;
  /** JSON list of {allowed_group, protocol, port_range, description}. */
  inbound_rules: string;
  updated_at: string;
}

export interface OverlayNodeRow {
  id: string;
  network_id: string;
  hostname: string;
  /** Overlay address without prefix; null once released (revoked node). Unique per network. */
  ip_address: string | null;
  /** The same address as an unsigned 32-bit number: the IPAM orders and allocates by it. */
  ip_number: number | null;
  /** JSON list of group names. */
  groups: string;
  is_lighthouse: Bool;
  is_relay: Bool;
  /** host:port on the underlay, for static_host_map. */
  public_endpoint: string | null;
  lighthouse_options: string | null;
  logging_options: string | null;
  punchy_options: string | null;
  /** tun device name in the node's config (Rampart extension); null: nebula1. */
  tun_device: string | null;
  status: NodeStatus;
  /** The last heartbeat or device poll (written at most every few seconds per node: see recordPoll). */
  last_seen_at: string | null;
  /** When the node's device first fetched its config or certificates; null until then. */
  first_polled_at: string | null;
  /** Sealed PEM of the server-generated X25519 private key (/certificates/create); null when the client keeps it. */
  private_key: string | null;
  /** PEM of the host public key the current certificate carries. */
  public_key_pem: string | null;
  /** Device tokens carry it; redeeming an enrollment code bumps it so older tokens stop working. */
  device_token_version: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

/** Every host certificate issued; revoked ones stay (for pki.blocklist) until they expire. */
export interface OverlayCertificateRow {
  id: string;
  network_id: string;
  /** Null once the node is deleted: the row stays for the blocklist. */
  node_id: string | null;
  node_name: string;
  ca_id: string;
  ip_address: string;
  fingerprint: string;
  certificate_pem: string;
  issued_at: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface OverlayEnrollmentCodeRow {
  id: string;
  node_id: string;
  /** sha256 hex of the code; the code itself is shown once. */
  code_hash: string;
  expires_at: string;
  used_at: string | null;
  created_by: string | null;
  created_at: string;
}

export type NodeRequestStatus = 'pending' | 'approved' | 'rejected';

export interface OverlayNodeRequestRow {
  id: string;
  network_id: string;
  requested_by: string;
  hostname: string;
  groups: string;
  is_lighthouse: Bool;
  is_relay: Bool;
  status: NodeRequestStatus;
  reason: string | null;
  created_node_id: string | null;
  decided_by: string | null;
  decided_at: string | null;
  created_at: string;
}

export interface OverlayAccessGrantRow {
  id: string;
  admin_user_id: string;
  resource_type: 'network' | 'node';
  resource_id: string;
  /** The network the grant opens (the node's network for a node grant). */
  network_id: string;
  granted_by: string;
  reason: string;
  expires_at: string;
  revoked_at: string | null;
  created_at: string;
}

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface OverlayInvitationRow {
  id: string;
  network_id: string;
  email: string;
  role: NetworkRole;
  can_manage_nodes: Bool;
  can_invite_users: Bool;
  can_manage_firewall: Bool;
  invited_by: string;
  /** sha256 hex of the token, for the public lookup. */
  token_hash: string;
  /** Sealed token, so a resend mails the same link. */
  token_sealed: string;
  status: InvitationStatus;
  expires_at: string;
  accepted_by: string | null;
  accepted_at: string | null;
  /** The latest mail of this invitation in the core outbox: its delivery is the invitation's email_status. */
  mail_id: string | null;
  created_at: string;
}

/** A network's DNS zone settings (Nebula Commander's split-horizon DNS, served by dnsmasq on the nodes). */
export interface OverlayDnsConfigRow {
  network_id: string;
  domain: string;
  enabled: Bool;
  /** JSON list of dnsmasq server= values (IP, optional #port) for names outside the zone. */
  upstream_servers: string;
  /** JSON list of resolver IPs clients use after the lighthouses. */
  extra_dns_resolvers: string;
  updated_at: string;
}

/** A name in a network's zone for a node: "db" (db.<domain>) or "*.apps" (apps.<domain> and below). */
export interface OverlayDnsAliasRow {
  id: string;
  network_id: string;
  node_id: string;
  alias: string;
  created_at: string;
}

declare module '../../core/db/tables.js' {
  interface Tables {
    overlay_networks: OverlayNetworkRow;
    overlay_cas: OverlayCaRow;
    overlay_network_permissions: OverlayNetworkPermissionRow;
    overlay_group_firewalls: OverlayGroupFirewallRow;
    overlay_nodes: OverlayNodeRow;
    overlay_certificates: OverlayCertificateRow;
    overlay_enrollment_codes: OverlayEnrollmentCodeRow;
    overlay_node_requests: OverlayNodeRequestRow;
    overlay_access_grants: OverlayAccessGrantRow;
    overlay_invitations: OverlayInvitationRow;
    overlay_dns_configs: OverlayDnsConfigRow;
    overlay_dns_aliases: OverlayDnsAliasRow;
  }
}

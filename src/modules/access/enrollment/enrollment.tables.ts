import type { Channel, DeviceStatus } from '../access.types.js';

/** Enrollment tokens and devices, typed for Kysely (docs/access.md, "model (enrollment)"). */
export type TokenKind = 'device' | 'gateway';
export type EnrolledVia = 'token' | 'oidc' | 'saml';

export interface AccessTokenRow {
  id: string;
  tenant_id: string;
  name: string;
  /** The secret's first characters, so an operator can tell tokens apart; the secret itself is only hashed. */
  prefix: string;
  /** sha256 hex of the whole secret (high-entropy: no salt needed to resist guessing). */
  secret_hash: string;
  kind: TokenKind;
  /** 0: unlimited. */
  max_uses: number;
  use_count: number;
  expires_at: string;
  bound_user_id: string | null;
  bound_email: string | null;
  /** JSON array of identity group ids every device enrolled with it joins. */
  auto_group_ids: unknown;
  pool_id: string | null;
  channel: Channel | null;
  /** Devices enrolled with it start pending until an admin approves them (0/1 on SQLite). */
  approval_required: number | boolean;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

export interface AccessDeviceRow {
  id: string;
  tenant_id: string;
  user_id: string | null;
  /** The user it was enrolled for, kept after that user is deleted (user_id then becomes null). */
  owner_id: string | null;
  name: string;
  platform: string;
  os_version: string | null;
  client_version: string | null;
  serial_number: string | null;
  public_key: string;
  overlay_ip: string;
  status: DeviceStatus;
  channel: Channel;
  enrolled_via: EnrolledVia;
  enrollment_token_id: string | null;
  /** JSON array: the enrolling token's auto groups. */
  auto_group_ids: unknown;
  /** sha256 hex of the device bearer credential (device_token, shown once at enroll). */
  token_hash: string;
  status_reason: string | null;
  created_at: string;
  updated_at: string;
  last_seen_at: string | null;
  suspended_at: string | null;
  revoked_at: string | null;
}

/** A SAML identity provider devices may enroll through (POST /v1/enroll/saml). */
export interface AccessSamlProviderRow {
  id: string;
  tenant_id: string;
  name: string;
  /** The IdP's entity id: the Issuer its responses must carry. */
  entity_id: string;
  /** Where a client sends its AuthnRequest (shown to clients; Rampart itself never calls it). */
  sso_url: string | null;
  /** PEM certificate(s) the IdP signs with (public; JSON array). */
  idp_certs: unknown;
  /** The audience the assertions must be for (this service provider's entity id). */
  sp_entity_id: string;
  /** The assertion consumer URL the IdP posts to (the Destination/Recipient it names). */
  acs_url: string;
  email_attribute: string;
  /** JSON array of email domains allowed to enroll; empty: any. */
  allowed_domains: unknown;
  enabled: number | boolean;
  created_at: string;
  updated_at: string;
}

/** Assertion ids already used, kept until they would have expired anyway, so a captured response enrolls once. */
export interface AccessSamlAssertionRow {
  provider_id: string;
  assertion_id: string;
  expires_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    access_enrollment_tokens: AccessTokenRow;
    access_devices: AccessDeviceRow;
    access_saml_providers: AccessSamlProviderRow;
    access_saml_assertions: AccessSamlAssertionRow;
  }
}

/**
 * The identity tables, typed for Kysely. Timestamps are ISO strings, json columns JSON text (see core/db).
 * Columns named *_secret or private_key hold secret-box ciphertexts (registered in identity.sealed.ts);
 * columns named *_hash hold one-way hashes. Neither is ever returned by an API.
 */
export type UserStatus = 'active' | 'suspended' | 'disabled';

export interface UserRow {
  id: string;
  /** Lower case, unique. */
  username: string;
  email: string | null;
  display_name: string | null;
  status: UserStatus;
  /** argon2id PHC string; null for users who only sign in through SSO. */
  password_hash: string | null;
  password_changed_at: string | null;
  /** 0/1 on SQLite. */
  mfa_enabled: number | boolean;
  /** Sealed base32 TOTP secret, once verified. */
  totp_secret: string | null;
  /** Sealed secret of an enrollment not yet verified. */
  totp_pending_secret: string | null;
  /** The last TOTP time step accepted, so a code cannot be used twice. */
  totp_last_step: number | null;
  last_login_at: string | null;
  /** Set when someone else chose the password (bootstrap, an admin's reset); cleared by the user's own change. 0/1 on SQLite. */
  must_change_password: number | boolean;
  /** The tenant the user belongs to (core/tenancy); null: the default tenant. */
  tenant_id?: string | null;
  created_at: string;
  updated_at: string;
}

export interface GroupRow {
  id: string;
  name: string;
  description: string | null;
  /** The tenant the group belongs to (core/tenancy); null: the default tenant. */
  tenant_id?: string | null;
  created_at: string;
  updated_at: string;
}

export interface GroupMemberRow {
  group_id: string;
  user_id: string;
  added_at: string;
}

export interface RoleRow {
  id: string;
  name: string;
  description: string | null;
  /** Built-in roles get their permissions from code (core/rbac/builtin-roles.ts); this column is '[]' for them. */
  builtin: number | boolean;
  permissions: string;
  created_at: string;
  updated_at: string;
}

export interface UserRoleRow {
  user_id: string;
  role_id: string;
  granted_at: string;
  granted_by: string | null;
}

/**
 * Failed logins per throttle key: (account, source), source, or account (sessions/lockout.ts). Accounts are the
 * submitted usernames, existing or not, so throttling reveals nothing about who exists.
 */
export interface LoginThrottleRow {
  key: string;
  failures: number;
  last_failure_at: string;
  blocked_until: string | null;
}

export type SigningKeyStatus = 'active' | 'verifying' | 'retired';

export interface SigningKeyRow {
  kid: string;
  algorithm: string;
  /** Public JWK as JSON text. */
  public_jwk: string;
  /** Sealed PKCS#8 PEM. */
  private_key: string;
  status: SigningKeyStatus;
  created_at: string;
  retired_at: string | null;
}

/** A login: one family of refresh tokens. Revoking it ends every token minted for it. */
export interface SessionRow {
  id: string;
  user_id: string;
  /** password | mfa | sso | dev | token */
  auth_method: string;
  provider_id: string | null;
  created_at: string;
  expires_at: string;
  last_seen_at: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
  client_ip: string | null;
  user_agent: string | null;
}

export interface RefreshTokenRow {
  id: string;
  session_id: string;
  /** sha256 hex of the opaque token. */
  token_hash: string;
  created_at: string;
  expires_at: string;
  /** Set when the token was exchanged; presenting it again revokes the whole session. */
  used_at: string | null;
}

export interface RecoveryCodeRow {
  id: string;
  user_id: string;
  code_hash: string;
  created_at: string;
  used_at: string | null;
}

export interface ApiKeyRow {
  id: string;
  name: string;
  /** The first characters of the secret, shown in lists so operators can tell keys apart. */
  prefix: string;
  secret_hash: string;
  /** JSON array of permission strings: the key's scope. */
  permissions: string;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  /** The role whose permissions made the key's scope (OpenWatch tokens); null for keys given permissions directly. */
  role_id: string | null;
}

export type ServiceAccountRole = 'admin' | 'readonly';

export interface ServiceAccountRow {
  id: string;
  name: string;
  description: string | null;
  role: ServiceAccountRole;
  status: 'active' | 'disabled';
  created_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface ServiceAccountTokenRow {
  id: string;
  service_account_id: string;
  name: string | null;
  kid: string;
  role: ServiceAccountRole;
  created_by: string | null;
  created_at: string;
  /** null: an eternal token. */
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface SsoProviderRow {
  id: string;
  name: string;
  /** oidc | google | github */
  kind: string;
  enabled: number | boolean;
  /** The overlay surface signs in through the default provider. */
  is_default: number | boolean;
  issuer_url: string;
  authorization_url: string | null;
  token_url: string | null;
  userinfo_url: string | null;
  client_id: string;
  /** Sealed. */
  client_secret: string | null;
  /** JSON array. */
  scopes: string;
  pkce_required: number | boolean;
  subject_claim: string;
  email_claim: string;
  groups_claim: string;
  default_role: string | null;
  /** JSON: [{role, subjects[], groups[], email_domains[]}], checked in order. */
  role_mappings: string;
  /** JSON array; empty allows every domain. */
  allowed_email_domains: string;
  session_ttl_s: number;
  /** Position in the login screen's provider list (lower first). */
  display_order: number;
  created_at: string;
  updated_at: string;
}

/** A user's account at an SSO provider. */
export interface UserIdentityRow {
  provider_id: string;
  subject: string;
  user_id: string;
  email: string | null;
  created_at: string;
  last_login_at: string | null;
}

/** Auth settings changed at run time (edge: GET/PUT /api/v1/auth/settings), over the config defaults. */
export interface AuthSettingRow {
  key: string;
  /** JSON. */
  value: string;
  updated_at: string;
}

declare module '../db/tables.js' {
  interface Tables {
    users: UserRow;
    groups: GroupRow;
    group_members: GroupMemberRow;
    roles: RoleRow;
    user_roles: UserRoleRow;
    login_throttle: LoginThrottleRow;
    signing_keys: SigningKeyRow;
    sessions: SessionRow;
    refresh_tokens: RefreshTokenRow;
    recovery_codes: RecoveryCodeRow;
    api_keys: ApiKeyRow;
    service_accounts: ServiceAccountRow;
    service_account_tokens: ServiceAccountTokenRow;
    sso_providers: SsoProviderRow;
    user_identities: UserIdentityRow;
    auth_settings: AuthSettingRow;
  }
}

/**
 * The contracts between the identity services. Each service is a plain factory (see index.ts, where they are
 * wired by hand); none of them knows about HTTP. They throw RampartError (core/errors.ts) for anything a client
 * can get wrong, and publish IDENTITY_CHANGED whenever something that affects a principal changes, so the
 * authenticator's cache on every node forgets it.
 */
import type { Page, PageRequest } from '../db/paginate.js';
import type { TenantScope } from '../tenancy/tenancy.js';
import type { Principal } from '../principal.js';
import type { PermissionDefinition, Role, RoleInput } from '../rbac/rbac.types.js';
import type { ServiceAccountRole, UserRow, UserStatus } from './identity.tables.js';

export type { ServiceAccountRole, UserStatus } from './identity.tables.js';

/** Published (payload IdentityChange) on every change that can alter who a principal is or what it may do. */
export const IDENTITY_CHANGED = 'identity.changed';
export interface IdentityChange {
  user_id?: string;
  session_id?: string;
  api_key_id?: string;
  service_account_id?: string;
  /** Role definitions changed: every cached principal is stale. */
  all?: boolean;
}

/** Who did it, for audit details and created_by columns. */
export type Actor = Pick<Principal, 'type' | 'id' | 'name'>;

/** Where a request came from, recorded on sessions. */
export interface ClientContext {
  clientIp?: string | null;
  userAgent?: string | null;
}

// ---------------------------------------------------------------- users, groups, passwords (users/)

/** A user as every API may show it: never a hash or a secret. */
export interface User {
  id: string;
  username: string;
  email: string | null;
  display_name: string | null;
  status: UserStatus;
  mfa_enabled: boolean;
  /** Role names. */
  roles: string[];
  last_login_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface UserInput {
  username: string;
  email?: string | null;
  display_name?: string | null;
  /** Omitted for SSO-only users. */
  password?: string;
  /** Role names or ids; none by default. */
  roles?: string[];
  status?: UserStatus;
  /** The user must replace this password at first sign-in (the bootstrap administrator). */
  must_change_password?: boolean;
  /** The tenant the user belongs to (core/tenancy); null or omitted: the default tenant. */
  tenant_id?: string | null;
}

export interface UserPatch {
  email?: string | null;
  display_name?: string | null;
  status?: UserStatus;
}

export interface UserList {
  items: User[];
  total: number;
}

export interface UserProfile {
  email: string | null;
  display_name: string | null;
  mfa_enabled: boolean;
  must_change_password: boolean;
}

export interface UserService {
  create(input: UserInput, actor?: Actor): Promise<User>;
  /** not_found when missing. */
  get(id: string): Promise<User>;
  /** The row, hash included, for the login path only. */
  findRowByUsername(username: string): Promise<UserRow | undefined>;
  /** The oldest user with this email; with `tenant`, only among that tenant's users (null: the default tenant's). */
  findByEmail(email: string, tenant?: string | null): Promise<User | undefined>;
  /** A page by username; `scope` a tenant id: only that tenant's users (null or omitted: everyone). */
  list(query: { limit: number; offset: number; search?: string; status?: UserStatus; scope?: TenantScope }): Promise<UserList>;
  /** The tenant the user belongs to (null: the default tenant); not_found when missing. */
  tenantOf(id: string): Promise<string | null>;
  /** Moves the user into a tenant (null: the default tenant). */
  setTenant(id: string, tenant: string | null): Promise<void>;
  update(id: string, patch: UserPatch): Promise<User>;
  delete(id: string): Promise<void>;
  /** Sets a password after checking the policy (length, not the username); the user must change it at next sign-in. */
  setPassword(id: string, password: string): Promise<void>;
  /**
   * What the caller's own view (auth/me) shows beside the principal, in one read: profile fields and whether the
   * password was chosen by someone else and must be replaced (the console asks first). not_found when missing.
   */
  profile(id: string): Promise<UserProfile>;
  /** The caller's own change: the current password must verify. Ends the user's other sessions. */
  changePassword(id: string, current: string, next: string, keepSessionId?: string): Promise<void>;
  /** Ends every session of the user. */
  suspend(id: string): Promise<User>;
  reactivate(id: string): Promise<User>;
  recordLogin(id: string): Promise<void>;
  /** When each user's password was last set (by them or an administrator); null for SSO-only users. */
  passwordChangedAt(ids: string[]): Promise<Map<string, string | null>>;
}

export interface Passwords {
  /** argon2id PHC string. */
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the time of a verify when there is no user, so timing does not tell whether a username exists. */
  verifyDummy(password: string): Promise<void>;
  /** validation_failed naming the rule a password breaks. */
  checkPolicy(password: string, username: string): void;
}

export interface Group {
  id: string;
  name: string;
  description: string | null;
  member_ids: string[];
  created_at: string;
  updated_at: string;
}

export interface GroupService {
  /** A page by name; `scope` a tenant id: only that tenant's groups (null or omitted: every group). */
  list(page: PageRequest, scope?: TenantScope): Promise<Page<Group>>;
  get(id: string): Promise<Group>;
  /** Members must be users of the group's tenant (`tenant_id`, null or omitted: the default tenant). */
  create(input: { name: string; description?: string | null; member_ids?: string[]; tenant_id?: string | null }): Promise<Group>;
  /** The tenant the group belongs to (null: the default tenant); not_found when missing. */
  tenantOf(id: string): Promise<string | null>;
  update(id: string, patch: { name?: string; description?: string | null; member_ids?: string[] }): Promise<Group>;
  delete(id: string): Promise<void>;
  groupsOf(userId: string): Promise<Group[]>;
}

// ---------------------------------------------------------------- rbac (core/rbac)

export interface PermissionRegistry {
  register(defs: PermissionDefinition[]): void;
  list(): readonly PermissionDefinition[];
  has(name: string): boolean;
  /**
   * Grants without duplicates, each registered, `*`, or `resource:*` over a resource with registered permissions;
   * an unknown one is refused by name (400) rather than stored as a grant that can never match.
   */
  validGrants(grants: string[]): string[];
  /** Every registered permission a set of grants (with wildcards) covers. */
  expand(grants: Iterable<string>): string[];
}

export interface RbacService {
  registry: PermissionRegistry;
  /** Creates the rows of built-in roles that are missing (at startup, idempotent). */
  ensureBuiltinRoles(): Promise<void>;
  listRoles(): Promise<Role[]>;
  /** By id or name; not_found when missing. */
  getRole(idOrName: string): Promise<Role>;
  createRole(input: RoleInput): Promise<Role>;
  /** Built-in roles cannot be changed or deleted (400). */
  updateRole(idOrName: string, patch: Partial<RoleInput>): Promise<Role>;
  deleteRole(idOrName: string): Promise<void>;
  assign(userId: string, roleIdOrName: string, grantedBy?: Actor): Promise<void>;
  unassign(userId: string, roleIdOrName: string): Promise<void>;
  /** Replaces a user's roles. */
  setRoles(userId: string, roleIdsOrNames: string[], grantedBy?: Actor): Promise<void>;
  /** A user's role names and the union of their permissions (wildcards kept). */
  userAccess(userId: string): Promise<{ roles: string[]; permissions: Set<string> }>;
  /** The union of the permissions of roles given by name (for service accounts and SSO mapping). */
  rolePermissions(roleNames: string[]): Promise<Set<string>>;
}

// ---------------------------------------------------------------- tokens and sessions (sessions/)

export interface SigningKeyView {
  kid: string;
  algorithm: string;
  status: 'active' | 'verifying' | 'retired';
  created_at: string;
  retired_at: string | null;
}

export interface TokenClaims {
  sub: string;
  iss?: string;
  aud?: string | string[];
  exp?: number;
  iat?: number;
  jti?: string;
  /** What the token is for: access | session | mfa | reauth | service_account | dev. */
  typ?: string;
  sid?: string;
  sa_id?: string | null;
  roles?: string[];
  [claim: string]: unknown;
}

export interface Keyset {
  /** Signs with the active key (created on first use). ttlSeconds null: no exp (eternal tokens). */
  sign(claims: TokenClaims, ttlSeconds: number | null): Promise<{ token: string; kid: string; expiresAt: Date | null }>;
  /** Verifies signature (any key not retired), iss and exp; unauthorized otherwise. */
  verify(token: string): Promise<TokenClaims & { kid: string }>;
  rotate(): Promise<SigningKeyView>;
  list(): Promise<SigningKeyView[]>;
  /** The active key cannot be retired (400). */
  retire(kid: string): Promise<SigningKeyView>;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  /** Seconds. */
  expires_in: number;
  session_id: string;
  /** When the access token and the session (its refresh tokens) end, RFC 3339 (AiFw's login shape). */
  access_expires_at?: string;
  refresh_expires_at?: string;
}

export interface SessionView {
  id: string;
  user_id: string;
  auth_method: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string | null;
  revoked_at: string | null;
  client_ip: string | null;
  user_agent: string | null;
}

export interface SessionService {
  open(userId: string, how: ClientContext & { method: string; providerId?: string | null; ttlSeconds?: number }): Promise<TokenPair>;
  /** Rotates the refresh token; presenting one already used revokes the whole session (401). */
  refresh(refreshToken: string, client: ClientContext): Promise<TokenPair & { user_id: string }>;
  /** A JWT for the session cookie, valid as long as the session. */
  cookieToken(sessionId: string): Promise<{ token: string; maxAgeSeconds: number }>;
  /**
   * A fresh cookie JWT for a live session, marking it seen; never valid past created_at + session_ttl_s (the
   * absolute lifetime), so renewing cannot keep a session alive forever. 401 once the session is over.
   */
  renewCookie(sessionId: string, client: ClientContext): Promise<{ token: string; maxAgeSeconds: number }>;
  revoke(sessionId: string, reason: string): Promise<void>;
  revokeAllForUser(userId: string, reason: string, exceptSessionId?: string): Promise<number>;
  list(userId: string): Promise<SessionView[]>;
  get(sessionId: string): Promise<SessionView | undefined>;
}

export interface LoginInput {
  username: string;
  password: string;
  otp?: string;
}

export interface LoginResult extends TokenPair {
  user: User;
}

export interface LoginService {
  /**
   * Password login, with the TOTP code in one step when given. A user with MFA and no otp gets 401 mfa_required
   * whose details carry mfa_token. Wrong credentials, unknown users and locked accounts answer alike.
   */
  login(input: LoginInput, client: ClientContext): Promise<LoginResult>;
  /** The second step: mfa_token from the first, and a TOTP or recovery code. */
  completeMfa(mfaToken: string, code: string, client: ClientContext): Promise<LoginResult>;
}

export interface Tickets {
  /** 256-bit hex, single use, bound to the principal. */
  issue(principal: Principal): { ticket: string; expires_in: number };
  /** The principal it was issued to, once; null when unknown, used or expired. */
  consume(ticket: string): Principal | null;
}

/** The credentials a request carries, without HTTP types. */
export interface Credentials {
  authorization?: string;
  /** Cookies by name. */
  cookies: Record<string, string | undefined>;
  /** ?ticket= on routes that take tickets (browser streams). */
  ticket?: string;
  /** Set when a token came in the query string (?token= or ?access_token=): refused. */
  queryToken?: boolean;
}

export interface Authenticator {
  /** null when no credential is present; unauthorized when one is present and invalid. */
  authenticate(credentials: Credentials): Promise<Principal | null>;
}

/** The names the specs give the session cookie; every one is accepted, rampart_session is set. */
export const SESSION_COOKIES = ['rampart_session', 'openwatch_session', 'neuwerk_auth'] as const;

// ---------------------------------------------------------------- MFA (mfa/)

export interface MfaService {
  /**
   * A new secret, pending until verified; 409 when MFA is already on. With recoveryCodes (AiFw's totp/setup) the
   * recovery codes are issued now, kept sealed with the pending secret and valid once it is verified; verify
   * answers the same codes. Otherwise verify issues them.
   */
  enroll(userId: string, opts?: { recoveryCodes?: boolean }): Promise<{ secret: string; provisioning_uri: string; recovery_codes?: string[] }>;
  /**
   * Activates the pending secret with a current code; returns the recovery codes now valid (the ones enroll
   * issued, if it did; shown here for the last time).
   */
  verify(userId: string, code: string): Promise<{ recovery_codes: string[] }>;
  /** With a current code for the user's own change, or by an administrator (byAdmin). */
  disable(userId: string, how: { code: string } | { byAdmin: true }): Promise<void>;
  /** A current TOTP code (each time step once) or an unused recovery code; consumes it. */
  checkCode(userId: string, code: string): Promise<boolean>;
}

// ---------------------------------------------------------------- API keys, service accounts, settings

export interface ApiKeyView {
  id: string;
  name: string;
  /** The secret's first characters followed by an ellipsis. */
  masked_key: string;
  permissions: string[];
  created_by: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  /** The role the key was bound to at creation (OpenWatch tokens), else null. */
  role_id: string | null;
}

/** How a key's secret starts: rk_ for Rampart's keys (Authorization: ApiKey), owk_ for OpenWatch tokens (Bearer). */
export type ApiKeyPrefix = 'rk_' | 'owk_';

export interface ApiKeyService {
  /**
   * The permissions must be registered and within the creator's own (403 otherwise). role_id records the role a
   * token's permissions came from; prefix picks the secret's form (rk_ by default).
   */
  create(
    creator: Principal,
    input: { name: string; permissions: string[]; expires_at?: string | null; role_id?: string | null; prefix?: ApiKeyPrefix },
  ): Promise<{ key: ApiKeyView; secret: string }>;
  list(createdBy?: string): Promise<ApiKeyView[]>;
  /** One page, newest first: the keys of createdBy, or every key. */
  /** `scope` a tenant id: only keys whose owner is that tenant's user (a key follows its owner). */
  listPage(page: PageRequest, createdBy?: string, scope?: TenantScope): Promise<Page<ApiKeyView>>;
  revoke(id: string): Promise<ApiKeyView>;
  /** The principal of an `ApiKey <secret>` credential: the key's scope intersected with its creator's permissions. */
  authenticate(secret: string): Promise<Principal | null>;
}

export interface ServiceAccountView {
  id: string;
  name: string;
  description: string | null;
  role: ServiceAccountRole;
  status: 'active' | 'disabled';
  created_at: string;
  created_by: string | null;
}

export interface ServiceAccountTokenView {
  id: string;
  service_account_id: string;
  name: string | null;
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  kid: string;
  role: ServiceAccountRole;
  status: 'active' | 'revoked' | 'expired';
}

export interface ServiceAccountService {
  list(page: PageRequest): Promise<Page<ServiceAccountView>>;
  get(id: string): Promise<ServiceAccountView>;
  create(input: { name: string; description?: string | null; role: ServiceAccountRole }, actor: Actor): Promise<ServiceAccountView>;
  update(id: string, patch: { name?: string; description?: string | null; role?: ServiceAccountRole; status?: 'active' | 'disabled' }): Promise<ServiceAccountView>;
  /** Disables the account and revokes all its tokens. */
  disable(id: string): Promise<void>;
  listTokens(id: string, page: PageRequest): Promise<Page<ServiceAccountTokenView>>;
  /** ttl ("24h", "90d") and eternal are exclusive (400); the role never exceeds the account's (403). */
  mintToken(id: string, input: { name?: string | null; ttl?: string; eternal?: boolean; role?: ServiceAccountRole }, actor: Actor): Promise<{ token: string; token_meta: ServiceAccountTokenView }>;
  revokeToken(id: string, tokenId: string): Promise<void>;
  /** The principal of a verified service-account JWT; null when revoked, expired or the account is disabled. */
  principalFor(claims: TokenClaims): Promise<Principal | null>;
}

export interface AuthSettings {
  /** Edge self-service registration (POST /api/v1/auth/register). */
  registration_enabled: boolean;
  /** Role given to self-registered users. */
  registration_role: string;
  lockout_threshold: number;
  lockout_minutes: number;
  password_min_length: number;
  access_token_ttl_s: number;
  refresh_token_ttl_s: number;
  /** Also the absolute session lifetime of cookie sessions: renewing a cookie never extends a session past it. */
  session_ttl_s: number;
  /** Idle window the fleet UI enforces (OpenWatch's session_idle_timeout_seconds). */
  session_idle_timeout_s: number;
  /** Every user must enroll in MFA (OpenWatch's require_mfa). */
  mfa_required: boolean;
}

export interface AuthSettingsService {
  /** Config defaults with the stored overrides on top. */
  get(): Promise<AuthSettings>;
  update(patch: Partial<AuthSettings>): Promise<AuthSettings>;
}

// ---------------------------------------------------------------- SSO (sso/)

export interface RoleMapping {
  role: string;
  subjects: string[];
  groups: string[];
  email_domains: string[];
}

/** A provider as the APIs show it: the client secret only as client_secret_configured. */
export interface SsoProviderView {
  id: string;
  name: string;
  kind: 'oidc' | 'google' | 'github';
  enabled: boolean;
  is_default: boolean;
  issuer_url: string;
  authorization_url: string | null;
  token_url: string | null;
  userinfo_url: string | null;
  client_id: string;
  client_secret_configured: boolean;
  scopes: string[];
  pkce_required: boolean;
  subject_claim: string;
  email_claim: string;
  groups_claim: string;
  default_role: string | null;
  role_mappings: RoleMapping[];
  allowed_email_domains: string[];
  /** Lifetime of the sessions a login through this provider opens. */
  session_ttl_s: number;
  /** Position in the login screen's provider list: lower first, then by name. */
  display_order: number;
  created_at: string;
  updated_at: string;
}

export type SsoProviderInput = Partial<Omit<SsoProviderView, 'id' | 'client_secret_configured' | 'created_at' | 'updated_at'>> & {
  client_secret?: string | null;
};

export interface SsoStart {
  /** Where to send the browser. */
  url: string;
  /** Sealed state (state, nonce, PKCE verifier, return path) for a short-lived cookie. */
  state_cookie: string;
}

export interface SsoService {
  list(): Promise<SsoProviderView[]>;
  /** One page by name; enabledOnly for the login screen. */
  listPage(page: PageRequest, filter?: { enabledOnly?: boolean }): Promise<Page<SsoProviderView>>;
  get(id: string): Promise<SsoProviderView>;
  /** The enabled default provider (overlay), or undefined when none is configured. */
  defaultProvider(): Promise<SsoProviderView | undefined>;
  create(input: SsoProviderInput): Promise<SsoProviderView>;
  update(id: string, patch: SsoProviderInput): Promise<SsoProviderView>;
  delete(id: string): Promise<void>;
  /** Fetches the discovery document: {ok, detail}. */
  test(id: string): Promise<{ ok: boolean; detail: string; issuer?: string }>;
  /** returnTo is kept only when it is a path on this site; prompt 'login' makes the IdP ask again (reauthentication). */
  start(id: string, redirectUri: string, returnTo?: string, options?: { prompt?: 'login' }): Promise<SsoStart>;
  /** Verifies state, exchanges the code, checks domains, maps roles, creates or links the user, opens a session. */
  callback(id: string, input: SsoCallbackInput, client: ClientContext): Promise<LoginResult & { return_to: string | null; provider_id: string }>;
  /**
   * Reauthentication: verifies state and code as callback does and returns the user already linked to that IdP
   * account (403 when none, or not active), changing nothing and opening no session.
   */
  identify(id: string, input: SsoCallbackInput): Promise<{ user: User; return_to: string | null; provider_id: string }>;
  /**
   * A device's own authorization-code login (access enrollment: the device ran the browser step with its own state
   * and PKCE): exchanges the code, applies the allow-list and role mapping as callback does, creates or links the
   * user, and returns it, opening no session.
   */
  deviceLogin(id: string, input: { code: string; redirect_uri: string; code_verifier?: string; nonce?: string }): Promise<User>;
  /** The IdP's end_session_endpoint URL (from discovery) to send a browser to on logout, or null. */
  endSessionUrl(id: string): Promise<string | null>;
}

export interface SsoCallbackInput {
  /** The redirect_uri given at start. */
  redirectUri: string;
  /** That URI with the query the IdP sent back (code, state, iss). */
  callbackUrl: string;
  /** The sealed state from start. */
  stateCookie: string | undefined;
}

// ---------------------------------------------------------------- the bundle

export interface Identity {
  rbac: RbacService;
  users: UserService;
  groups: GroupService;
  passwords: Passwords;
  settings: AuthSettingsService;
  keyset: Keyset;
  sessions: SessionService;
  login: LoginService;
  mfa: MfaService;
  tickets: Tickets;
  apiKeys: ApiKeyService;
  serviceAccounts: ServiceAccountService;
  sso: SsoService;
  authenticator: Authenticator;
  /**
   * First start: with no users, creates `admin` with a random password, written 0600 to
   * <data_dir>/initial-admin-password. Returns the credentials (to print once), or null.
   */
  bootstrap(): Promise<{ username: string; password: string; file: string } | null>;
}

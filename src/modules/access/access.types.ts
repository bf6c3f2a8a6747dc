import type { Principal } from '../../core/principal.js';

/**
 * The contracts between the access module's parts (the ZTNA control plane: ../../../docs/access.md). Each part
 * lives in its own folder with its tables, service and routes:
 *
 *   enrollment/  enrollment tokens, POST /v1/enroll (token, OIDC, SAML), devices and their credentials, the admin
 *                users/groups/RBAC routes over the identity core, device and gateway bearer authentication
 *   policy/      policy bundles (canary/stable), signers and trust anchors, SPCs and their revocation entries,
 *                posture assertions and verdicts
 *   gateways/    gateway pools and gateways, the gateway runtime routes, admission grants, metering, sessions,
 *                telemetry, the change stream gateways listen to, connection_truth
 *   tenants/     tenants and which tenant an administrator acts in, the licence, entitlements (limits, alerts,
 *                usage), directory sync (snapshots, Keycloak)
 *   audit/       the audit pipeline (gateway ingest, query, CSV/JSON/syslog export over core/audit's one trail),
 *                the SIEM connector (syslog, signed webhooks) and incident playbooks run as jobs
 *
 * Parts never import each other's stores or services. They meet through AccessHooks (access.services.ts wires
 * them) and through the core event bus (ACCESS_CHANGED below).
 */

/**
 * Every row carries tenant_id. This is the default tenant: the provider's, where single-tenant installs live alone
 * and whose administrators manage the other tenants (tenants/).
 */
export const DEFAULT_TENANT_ID = '00000000-0000-4000-8000-000000000001';

export type DeviceStatus = 'pending' | 'active' | 'suspended' | 'revoked';
export type Channel = 'canary' | 'stable';
export type PostureVerdict = 'compliant' | 'noncompliant' | 'unknown';

/** A device as the parts see it (the enrollment part owns the row). */
export interface AccessDevice {
  id: string;
  tenant_id: string;
  user_id: string | null;
  name: string;
  platform: string;
  /** WireGuard public key, base64; the private key never leaves the device. */
  public_key: string;
  overlay_ip: string;
  status: DeviceStatus;
  channel: Channel;
}

/** Who is calling a device or gateway route, resolved from its bearer credential by the enrollment part. */
export interface DeviceCaller {
  kind: 'device';
  device: AccessDevice;
}
export interface GatewayCaller {
  kind: 'gateway';
  gateway_id: string;
  pool_id: string;
  tenant_id: string;
}

/** What a redeemed enrollment token carried, handed to the part that creates the enrolled thing. */
export interface RedeemedToken {
  token_id: string;
  tenant_id: string;
  kind: 'device' | 'gateway';
  bound_user_id: string | null;
  auto_group_ids: string[];
  pool_id: string | null;
  channel: Channel | null;
}

/** One destination a device may reach through a gateway: ports as "443" or "8000-8100", none meaning all. */
export interface AccessDestination {
  cidr: string;
  protocol: 'tcp' | 'udp' | 'icmp' | 'any';
  ports: string[];
}

/** The posture of one device, as the policy part last judged it. */
export interface DevicePosture {
  verdict: PostureVerdict;
  failed_checks: string[];
  checked_at: string | null;
}

/** A device's current SPC as the policy part judges it: valid = not revoked, not superseded past its grace, not expired. */
export interface CurrentSpc {
  serial: string;
  expires_at: string;
  valid: boolean;
  /** Why it is not valid: revoked | superseded | expired (absent when valid). */
  reason?: string;
}

/**
 * Published on the core bus (topic ACCESS_CHANGED) whenever what a device may reach can have changed: a device
 * revoked, suspended or re-channelled, a user suspended, a posture verdict changed, a bundle published, an SPC
 * revoked. The gateways part turns it into a new serial on the runtime routes and a push to connected gateways.
 */
export const ACCESS_CHANGED = 'access.changed';
export interface AccessChange {
  tenant_id: string;
  reason: 'device' | 'user' | 'posture' | 'bundle' | 'spc' | 'signer' | 'pool' | 'gateway' | 'tenant' | 'license';
  device_ids?: string[];
  user_id?: string;
}

/**
 * Where the parts plug into each other. Each part fills the hooks it provides when access.services.ts wires it;
 * until then the defaults below answer (so a part's tests run without the others).
 */
export interface AccessHooks {
  // provided by enrollment/
  device(id: string): Promise<AccessDevice | undefined>;
  /** Group ids of the device's user (identity groups) plus the token's auto groups. */
  deviceGroups(deviceId: string): Promise<string[]>;
  /** Redeems a gateway token (single use under a row lock); throws the spec's 401/403 errors. */
  redeemGatewayToken(secret: string): Promise<RedeemedToken>;
  /**
   * The device an Authorization header's device bearer credential names (any status), or undefined when it names
   * none; common/caller.ts resolves it.
   */
  authenticateDevice(authorization: string | undefined): Promise<AccessDevice | undefined>;
  /** Revokes every live device of a user (directory sync suspending them); returns how many. Inside a transaction. */
  revokeUserDevices(userId: string, reason: string): Promise<number>;
  // provided by policy/
  posture(deviceId: string): Promise<DevicePosture>;
  /** Extra fields of the enroll response: trust_anchors, spc, policy_digest. */
  enrollmentPolicy(device: AccessDevice): Promise<Record<string, unknown>>;
  /** Revokes every live SPC of these devices (entries kept until each would have expired). */
  revokeSpcs(deviceIds: string[], reason: string): Promise<void>;
  /**
   * What the device may reach now: the allow rules of its channel's bundle whose sources match its groups, user
   * or id and whose posture requirements it meets; empty when it is not active or its posture is noncompliant.
   */
  allowedDestinations(deviceId: string): Promise<AccessDestination[]>;
  /** GET /v1/trust/anchors' body, for the gateways' runtime route. */
  trustAnchors(tenantId: string): Promise<Record<string, unknown>>;
  /** GET /v1/spc/bundle's body (the revocation set), for the gateways' runtime route. */
  spcBundle(tenantId: string): Promise<Record<string, unknown>>;
  /** The live bundle of a channel as devices get it (canary falls back to stable), or undefined before any publish. */
  channelBundle(tenantId: string, channel: Channel): Promise<Record<string, unknown> | undefined>;
  /** Verifies an SPC (compact JWS) offline and against the revocation set: GET /v1/spc/validate's body. */
  validateSpc(spc: string): Promise<{ valid: boolean; reason: string | null; claims: Record<string, unknown> | null }>;
  /**
   * The device's newest SPC and whether it is valid now (not revoked, superseded past its grace, or expired), or
   * null when it has none: admission grants end when it does. Wired from the policy part's SPC rows.
   */
  spcStatus(tenantId: string, deviceId: string): Promise<CurrentSpc | null>;
  // provided by gateways/
  /**
   * The gateway behind a gateway bearer credential (gateway_token from gateway enroll), undefined when none is;
   * common/caller.ts asks it for every bearer that is not a device token.
   */
  gatewayCaller(secret: string): Promise<GatewayCaller | undefined>;
  /** Extra fields of the enroll response: pools. */
  enrollmentGateways(device: AccessDevice): Promise<Record<string, unknown>>;
  /** Closes the live sessions of these devices (closed_reason given). */
  closeSessions(deviceIds: string[], reason: string): Promise<void>;
  // provided by tenants/
  /** The tenant an administrator acts in (its rows only); 403 when that tenant is suspended or deleted. */
  callerTenant(principal: Principal): Promise<string>;
  /** Whether the tenant's devices and gateways may act (not suspended or deleted). */
  tenantActive(tenantId: string): Promise<boolean>;
  /** The tenants not deleted, the default first (background work done per tenant: retention). */
  tenantIds(): Promise<string[]>;
  /**
   * Refuses creating one more device, gateway or pool past the tenant's entitlement (409 entitlement_exceeded); a
   * device's user counts against the user limit when the tenant has no live device of theirs yet.
   */
  checkEntitlement(tenantId: string, metric: 'devices' | 'gateways' | 'pools', userId?: string | null): Promise<void>;
  /** Ids of the live sessions of these devices (an incident playbook's dry run counts what it would close). */
  openSessions(tenantId: string, deviceIds: string[]): Promise<string[]>;
  // provided by enrollment/, for audit/ (incident playbooks)
  /** The user's devices that are not revoked, in every tenant (callers keep their tenant's). */
  userDevices(userId: string): Promise<AccessDevice[]>;
  /** Revokes these devices (terminal), as POST /v1/admin/devices/lifecycle does. */
  revokeDevices(deviceIds: string[], reason: string): Promise<void>;
  // provided by policy/, for audit/
  /** Rotates the tenant's signers (POST /v1/trust/anchors/rotate with the default overlap). */
  rotateSigners(tenantId: string): Promise<{ retiring: string; active: string }>;
  // for audit/'s operations routes (dashboard, certificate expiry)
  /** How many of the tenant's devices are in each status (enrollment/). */
  deviceCounts(tenantId: string): Promise<Record<DeviceStatus, number>>;
  /** GET /v1/admin/gateway/health's body (gateways/). */
  gatewayHealth(tenantId: string): Promise<{ pools: { pool_id: string; name: string; healthy: number; total: number; min_healthy: number; ok: boolean }[]; gateways: { id: string; name: string; status: string; last_heartbeat_at: string | null }[] }>;
  /**
   * Ends every enrollment token still usable (created before `before` when given): expires_at becomes now. Answers
   * the ids; with dryRun only counts them (enrollment/).
   */
  expireTokens(tenantId: string, before: string | null, dryRun: boolean): Promise<string[]>;
  /** Deletes the closed sessions that closed before `before`; with dryRun only counts them (gateways/). */
  pruneSessions(tenantId: string, before: string, dryRun: boolean): Promise<number>;
  /** Makes each session's monthly usage add up to its metered totals; with dryRun only reports (gateways/). */
  recomputeUsage(tenantId: string, dryRun: boolean): Promise<{ sessions_checked: number; sessions_adjusted: number; bytes_rx_added: number; bytes_tx_added: number }>;
  /** GET /v1/admin/connection_truth's summary (gateways/). */
  connectionTruthSummary(tenantId: string): Promise<Record<'consistent' | 'ghost_session' | 'missing_session' | 'revoked_but_connected', number>>;
}

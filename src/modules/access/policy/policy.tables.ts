/** The policy part's tables, typed for Kysely. Timestamps are ISO strings; json columns hold JSON. */
import type { Channel, PostureVerdict } from '../access.types.js';

export type SignerState = 'next' | 'active' | 'retiring' | 'retired';
export type BundleStatus = 'canary' | 'stable' | 'superseded' | 'rolled_back';
export type SpcStatus = 'active' | 'superseded' | 'revoked';

export interface AccessPolicySerialRow {
  tenant_id: string;
  /** bundle | spc | revocations | anchors */
  kind: string;
  value: number | string;
}

export interface AccessSignerRow {
  kid: string;
  tenant_id: string;
  alg: string;
  /** Raw Ed25519 public key, base64url (a JWK's x). */
  public_key: string;
  /** PKCS#8 DER of the private key, sealed by core/secrets. */
  private_key_sealed: string;
  state: SignerState;
  created_at: string;
  activated_at: string | null;
  /** Retiring signers still verify until then. */
  retire_after: string | null;
}

export interface AccessPolicyBundleRow {
  id: string;
  tenant_id: string;
  serial: number | string;
  digest: string;
  channel: Channel;
  status: BundleStatus;
  /** {default_action, posture, rules}: what the digest covers. */
  content: unknown;
  /** {device_ids, group_ids, percent} on canary bundles. */
  canary: unknown;
  notes: string | null;
  /** The bundle this one republished (promote, rollback, publish by bundle_id). */
  source_bundle_id: string | null;
  kid: string;
  signature: string;
  published_by: string;
  published_at: string;
  ended_at: string | null;
}

export interface AccessSpcRow {
  tenant_id: string;
  serial: number | string;
  device_id: string;
  user_id: string | null;
  kid: string;
  policy_digest: string | null;
  channel: Channel;
  not_before: string;
  expires_at: string;
  status: SpcStatus;
  superseded_at: string | null;
  revoked_at: string | null;
  revoke_reason: string | null;
}

export interface AccessSpcRevocationRow {
  tenant_id: string;
  serial: number | string;
  device_id: string;
  expires_at: string;
  reason: string;
  revoked_at: string;
}

export interface AccessDevicePostureRow {
  device_id: string;
  tenant_id: string;
  verdict: PostureVerdict;
  failed_checks: unknown;
  facts: unknown;
  collected_at: string | null;
  checked_at: string;
}

declare module '../../../core/db/tables.js' {
  interface Tables {
    access_policy_serials: AccessPolicySerialRow;
    access_signers: AccessSignerRow;
    access_policy_bundles: AccessPolicyBundleRow;
    access_spcs: AccessSpcRow;
    access_spc_revocations: AccessSpcRevocationRow;
    access_device_posture: AccessDevicePostureRow;
  }
}

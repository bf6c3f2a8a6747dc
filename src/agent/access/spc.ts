/**
 * Offline verification of a signed posture credential (SPC): a compact JWS (EdDSA, Ed25519) signed by one of the
 * trust anchors the gateway pulled, not in the revocation list it pulled, inside its validity window, and bound to
 * the device and WireGuard key presenting it. The control plane still has the last word (the admission grant);
 * this check keeps forged or stale credentials from costing it a request.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

export interface TrustAnchor {
  kid: string;
  alg?: string;
  public_key?: string;
  certificate_pem?: string;
  state?: string;
  not_after?: string | null;
}

export interface SpcClaims {
  serial: string;
  device_id: string;
  user_id?: string | null;
  device_public_key?: string;
  group_ids?: string[];
  /** Unix seconds. */
  exp: number;
  nbf?: number;
  [claim: string]: unknown;
}

export type SpcVerdict =
  | { valid: true; claims: SpcClaims; kid: string }
  | { valid: false; reason: 'malformed' | 'unknown_kid' | 'bad_signature' | 'expired' | 'not_yet_valid' | 'revoked' | 'wrong_device' | 'wrong_key'; detail: string };

function publicKeyOf(anchor: TrustAnchor): KeyObject | undefined {
  const text = anchor.certificate_pem ?? anchor.public_key;
  if (!text) return undefined;
  try {
    if (text.includes('-----BEGIN')) return createPublicKey(text);
    const raw = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
    if (raw.length === 32) return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    return createPublicKey({ key: raw, format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

/** The anchors that may verify now, by kid (retired ones and ones past not_after do not). */
export function usableAnchors(anchors: TrustAnchor[], now: Date): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const anchor of anchors) {
    if (anchor.state === 'retired') continue;
    if (anchor.not_after && Date.parse(anchor.not_after) <= now.getTime()) continue;
    const key = publicKeyOf(anchor);
    if (key) keys.set(anchor.kid, key);
  }
  return keys;
}

const seconds = (value: unknown): number | undefined => {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value) / 1000;
  return undefined;
};

function decodeSegment(segment: string): any {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

/** The claims without checking anything: for the device, to know when to renew. */
export function readSpcClaims(jws: string): SpcClaims | undefined {
  try {
    const raw = decodeSegment(jws.split('.')[1]);
    const exp = seconds(raw.exp) ?? seconds(raw.expires_at);
    return exp === undefined ? undefined : { ...raw, exp, nbf: seconds(raw.nbf) ?? seconds(raw.not_before), serial: String(raw.serial ?? raw.jti ?? '') };
  } catch {
    return undefined;
  }
}

export interface VerifyContext {
  anchors: Map<string, KeyObject>;
  revokedSerials: Set<string>;
  now: Date;
  device_id: string;
  public_key: string;
}

export function verifySpc(jws: unknown, ctx: VerifyContext): SpcVerdict {
  const parts = typeof jws === 'string' ? jws.split('.') : [];
  if (parts.length !== 3) return { valid: false, reason: 'malformed', detail: 'an SPC is a compact JWS: three dot-separated parts' };
  let header: { alg?: string; kid?: string };
  try {
    header = decodeSegment(parts[0]);
  } catch {
    return { valid: false, reason: 'malformed', detail: 'the SPC header is not base64url JSON' };
  }
  if (header.alg !== 'EdDSA') return { valid: false, reason: 'malformed', detail: `SPCs are signed EdDSA, not ${String(header.alg)}` };
  const key = header.kid ? ctx.anchors.get(header.kid) : undefined;
  if (!key) return { valid: false, reason: 'unknown_kid', detail: `no trust anchor with kid ${String(header.kid)}` };
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  if (!verify(null, signed, key, Buffer.from(parts[2], 'base64url'))) return { valid: false, reason: 'bad_signature', detail: 'the signature does not verify' };
  const claims = readSpcClaims(jws as string);
  if (!claims || typeof claims.device_id !== 'string') return { valid: false, reason: 'malformed', detail: 'the SPC lacks device_id or an expiry' };
  const now = ctx.now.getTime() / 1000;
  if (claims.exp <= now) return { valid: false, reason: 'expired', detail: 'the SPC has expired' };
  if (claims.nbf !== undefined && claims.nbf > now + 60) return { valid: false, reason: 'not_yet_valid', detail: 'the SPC is not valid yet' };
  if (ctx.revokedSerials.has(claims.serial)) return { valid: false, reason: 'revoked', detail: 'the SPC has been revoked' };
  if (claims.device_id !== ctx.device_id) return { valid: false, reason: 'wrong_device', detail: 'the SPC was issued to another device' };
  if (claims.device_public_key !== undefined && claims.device_public_key !== ctx.public_key) {
    return { valid: false, reason: 'wrong_key', detail: 'the SPC binds another WireGuard key' };
  }
  return { valid: true, claims, kid: header.kid! };
}

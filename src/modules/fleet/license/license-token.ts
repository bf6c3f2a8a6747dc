import { createPublicKey, type KeyObject } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';

/**
 * Verifying a license: an EdDSA (Ed25519) JWT whose claims carry tier, features, customer_id, fingerprint and the
 * expiry (exp, or expires_at as seconds or RFC 3339). The signature is checked here and the expiry judged by the
 * caller, since an expired license still counts during its grace period.
 */
export type VerifyResult = 'valid' | 'signature_invalid' | 'malformed_jwt' | 'fingerprint_mismatch' | 'expired';

export interface LicenseClaims {
  tier: 'free' | 'enterprise';
  features: string[];
  customer_id: string | null;
  fingerprint: string | null;
  issued_at: string | null;
  expires_at: string | null;
}

export interface CheckedToken {
  result: VerifyResult;
  claims?: LicenseClaims;
  /** Verified by a key other than the first configured one. */
  usingPrevKey: boolean;
}

/** Reads a configured key: base64 of the raw 32-byte Ed25519 key, or a PEM SPKI block. */
export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return createPublicKey(trimmed);
  const raw = Buffer.from(trimmed, 'base64');
  if (raw.length !== 32) throw new Error('an Ed25519 public key is 32 bytes (base64) or a PEM block');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

export async function checkToken(token: string, keys: KeyObject[], fingerprint: string): Promise<CheckedToken> {
  try {
    if (decodeProtectedHeader(token).alg !== 'EdDSA') return { result: 'signature_invalid', usingPrevKey: false };
  } catch {
    return { result: 'malformed_jwt', usingPrevKey: false };
  }
  for (const [index, key] of keys.entries()) {
    let payload: Uint8Array;
    try {
      payload = (await compactVerify(token, key, { algorithms: ['EdDSA'] })).payload;
    } catch {
      continue;
    }
    const claims = readClaims(payload);
    if (!claims) return { result: 'malformed_jwt', usingPrevKey: index > 0 };
    if (fingerprint && claims.fingerprint && claims.fingerprint !== fingerprint) return { result: 'fingerprint_mismatch', claims, usingPrevKey: index > 0 };
    return { result: 'valid', claims, usingPrevKey: index > 0 };
  }
  return { result: 'signature_invalid', usingPrevKey: false };
}

function readClaims(payload: Uint8Array): LicenseClaims | undefined {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const tier = body.tier === 'enterprise' ? 'enterprise' : body.tier === 'free' || body.tier === undefined ? 'free' : undefined;
  if (!tier) return undefined;
  const features = Array.isArray(body.features) ? body.features.filter((f): f is string => typeof f === 'string') : [];
  return {
    tier,
    features,
    customer_id: typeof body.customer_id === 'string' ? body.customer_id : null,
    fingerprint: typeof body.fingerprint === 'string' && body.fingerprint ? body.fingerprint : null,
    issued_at: toIso(body.iat),
    expires_at: toIso(body.expires_at ?? body.exp),
  };
}

function toIso(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000).toISOString();
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return null;
}

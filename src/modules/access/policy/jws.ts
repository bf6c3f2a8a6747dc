import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/** Ed25519 keys and the compact JWS (RFC 7515, alg EdDSA per RFC 8037) SPCs travel as, on Node's crypto alone. */

export interface Ed25519KeyPair {
  /** Raw 32-byte public key, base64url: a JWK's x. */
  publicKey: string;
  /** PKCS#8 DER, for sealing at rest. */
  privateKeyDer: Buffer;
}

export function generateEd25519(): Ed25519KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKey: publicKey.export({ format: 'jwk' }).x!, privateKeyDer: privateKey.export({ format: 'der', type: 'pkcs8' }) };
}

export const privateKeyFrom = (der: Buffer): KeyObject => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
export const publicKeyFrom = (x: string): KeyObject => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });

const b64u = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** Ed25519 signature of bytes, base64url. */
export function signBytes(key: KeyObject, data: string): string {
  return sign(null, Buffer.from(data), key).toString('base64url');
}

export function verifyBytes(key: KeyObject, data: string, signature: string): boolean {
  return verify(null, Buffer.from(data), key, Buffer.from(signature, 'base64url'));
}

export function signCompactJws(key: KeyObject, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${b64u(JSON.stringify({ ...header, alg: 'EdDSA' }))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${signBytes(key, input)}`;
}

export interface ParsedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: string;
}

/** Splits and decodes a compact JWS without verifying it; undefined when it is not one. */
export function parseCompactJws(token: string): ParsedJws | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (!isObject(header) || !isObject(payload)) return undefined;
    return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: parts[2] };
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Nebula's key material as raw bytes (the form its PEM files hold), bridged to node:crypto through JWK:
 * ed25519 for CAs (signing), X25519 for hosts (the Noise handshake).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { errors } from '../../errors.js';
import { BANNERS, fromPem, toPem } from './pem.js';

const KEY_BYTES = 32;

export interface CaKeyPair {
  publicKey: Uint8Array;
  /** 64 bytes, seed || public key, as Go's ed25519.PrivateKey and nebula's key file. */
  privateKey: Uint8Array;
}

export interface HostKeyPair {
  publicKey: Uint8Array;
  /** The 32-byte X25519 scalar. */
  privateKey: Uint8Array;
}

export function generateCaKeyPair(): CaKeyPair {
  const { publicKey, privateKey } = rawPair(generateKeyPairSync('ed25519').privateKey);
  return { publicKey, privateKey: concat(privateKey, publicKey) };
}

export function generateHostKeyPair(): HostKeyPair {
  return rawPair(generateKeyPairSync('x25519').privateKey);
}

/**
 * Importing a key costs as much as signing, and a CA signs many certificates with the same key bytes, so the
 * imported key is kept per key array (key arrays are never modified in place).
 */
const importedCaKeys = new WeakMap<Uint8Array, KeyObject>();

export function importedCaKey(caPrivateKey: Uint8Array): KeyObject {
  let key = importedCaKeys.get(caPrivateKey);
  if (!key) importedCaKeys.set(caPrivateKey, (key = ed25519PrivateKey(caPrivateKey)));
  return key;
}

export function signEd25519(data: Uint8Array, caPrivateKey: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, data, importedCaKey(caPrivateKey)));
}

export function verifyEd25519(data: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (publicKey.length !== KEY_BYTES) return false;
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(publicKey) }, format: 'jwk' });
  return verify(null, data, key, signature);
}

/** A CA private key must match the public key it claims; nebula refuses mismatched pairs too. */
export function caPublicKeyOf(caPrivateKey: Uint8Array): Uint8Array {
  return rawPair(ed25519PrivateKey(caPrivateKey)).publicKey;
}

export const caPrivateKeyToPem = (key: Uint8Array) => toPem(BANNERS.ed25519PrivateKey, key);
export const caPublicKeyToPem = (key: Uint8Array) => toPem(BANNERS.ed25519PublicKey, key);
export const hostPrivateKeyToPem = (key: Uint8Array) => toPem(BANNERS.x25519PrivateKey, key);
export const hostPublicKeyToPem = (key: Uint8Array) => toPem(BANNERS.x25519PublicKey, key);

export function caPrivateKeyFromPem(pem: string): Uint8Array {
  return sized(fromPem(pem, [BANNERS.ed25519PrivateKey]).bytes, 2 * KEY_BYTES, 'CA private key');
}

/** A host public key a client sent, e.g. from `nebula-cert keygen`: only an X25519 key of 32 bytes will do. */
export function hostPublicKeyFromPem(pem: string): Uint8Array {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN')) {
    throw errors.validation('public key must be PEM: -----BEGIN NEBULA X25519 PUBLIC KEY----- ... (as nebula-cert keygen writes it)');
  }
  return sized(fromPem(pem, [BANNERS.x25519PublicKey]).bytes, KEY_BYTES, 'X25519 public key');
}

function sized(bytes: Uint8Array, length: number, what: string): Uint8Array {
  if (bytes.length !== length) throw errors.validation(`${what} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

function ed25519PrivateKey(caPrivateKey: Uint8Array): KeyObject {
  if (caPrivateKey.length !== 2 * KEY_BYTES) throw errors.validation(`CA private key must be 64 bytes, got ${caPrivateKey.length}`);
  const [seed, publicKey] = [caPrivateKey.subarray(0, KEY_BYTES), caPrivateKey.subarray(KEY_BYTES)];
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(seed), x: b64url(publicKey) }, format: 'jwk' });
}

function rawPair(privateKey: KeyObject): { publicKey: Uint8Array; privateKey: Uint8Array } {
  const jwk = privateKey.export({ format: 'jwk' });
  return { publicKey: fromB64url(jwk.x!), privateKey: fromB64url(jwk.d!) };
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const fromB64url = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'));
const concat = (a: Uint8Array, b: Uint8Array) => Uint8Array.from([...a, ...b]);

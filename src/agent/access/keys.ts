/**
 * WireGuard keys made with node:crypto's X25519 (the same curve and encoding `wg genkey`/`wg pubkey` use: the
 * raw 32 bytes, base64), so a device needs no wg binary to enrol and its private key never leaves this process
 * except into its own state dir and its own WireGuard interface.
 */
import { writeFileAtomic } from '../common/atomic-write.js';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';

export interface WireguardKeyPair {
  private_key: string;
  public_key: string;
}

const fromUrl = (b64url: string) => Buffer.from(b64url, 'base64url').toString('base64');

export function generateWireguardKeys(): WireguardKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { private_key: fromUrl(privateKey.export({ format: 'jwk' }).d!), public_key: fromUrl(publicKey.export({ format: 'jwk' }).x!) };
}

/** The public key of a base64 private key (what `wg pubkey` prints). */
export function wireguardPublicKey(privateKey: string): string {
  const raw = Buffer.from(privateKey, 'base64');
  if (raw.length !== 32) throw new Error('a WireGuard private key is 32 bytes, base64');
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: raw.toString('base64url'), x: '' }, format: 'jwk' });
  return fromUrl(createPublicKey(key).export({ format: 'jwk' }).x!);
}

/** Whether a string is a base64 32-byte key (what wg accepts); keeps anything else out of wg's arguments. */
export function isWireguardKey(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(value);
}

/** Writes the private key where wg reads it: owner-only, replaced atomically. */
export function writePrivateKeyFile(path: string, privateKey: string): void {
  writeFileAtomic(path, `${privateKey}\n`, 0o600);
}

import { generateKeyPairSync } from 'node:crypto';
import type { TestRampart } from './app.js';
import type { SignedIn } from './identity.js';

/** A fresh WireGuard (X25519) public key, base64 as `wg pubkey` prints it. */
export function wgPublicKey(): string {
  const { publicKey } = generateKeyPairSync('x25519');
  return (publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(-32).toString('base64');
}

export const deviceInfo = (name = 'laptop') => ({ name, platform: 'linux', os_version: 'Debian 12', client_version: '0.1.0' });

/** Generates an enrollment token through the admin API; returns its view and its secret. */
export async function generateToken(r: TestRampart, admin: SignedIn, body: Record<string, unknown> = {}) {
  const res = await r.app.inject({ method: 'POST', url: '/v1/admin/tokens/generate', headers: admin.headers, payload: body });
  if (res.statusCode !== 201) throw new Error(`generate answered ${res.statusCode}: ${res.body}`);
  return res.json() as { id: string; secret: string; status: string; use_count: number; [k: string]: unknown };
}

/** POST /v1/enroll with a token and a new key. */
export function enroll(r: TestRampart, token: string, overrides: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return r.app.inject({ method: 'POST', url: '/v1/enroll', headers, payload: { token, public_key: wgPublicKey(), device: deviceInfo(), ...overrides } });
}

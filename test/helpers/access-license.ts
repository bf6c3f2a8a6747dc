import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { canonicalJson } from '../../src/modules/access/tenants/license-file.js';

/** A licence signing key for tests: its private half signs, `publicKey` (raw, base64url) goes in access.license_public_key. */
export function licenseSigner() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKey: publicKey.export({ format: 'jwk' }).x!,
    privateKey: privateKey as KeyObject,
    /** The licence file's text for a payload (the signature over its canonical JSON). */
    sign(license: Record<string, unknown>): string {
      const signature = sign(null, Buffer.from(canonicalJson(license)), privateKey).toString('base64url');
      return JSON.stringify({ license, signature }, null, 2);
    },
    write(path: string, license: Record<string, unknown>): void {
      writeFileSync(path, this.sign(license));
    },
  };
}

export const licensePayload = (now: Date, extra: Record<string, unknown> = {}) => ({
  id: 'lic-test-1', licensee: 'Example Corp', plan: 'business', issued_at: now.toISOString(),
  expires_at: new Date(now.getTime() + 3_600_000).toISOString(), grace_days: 1, limits: { devices: 5 }, features: ['sso', 'canary'], ...extra,
});

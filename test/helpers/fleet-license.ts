import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import type { TestRampart } from './app.js';
import { fleetServices } from '../../src/modules/fleet/fleet.services.js';

/** A license issuer for tests: pass `overrides` to createTestRampart, then `install` an enterprise license. */
export function testLicenseIssuer() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
  return {
    overrides: { 'license.public_keys': [raw] },
    async install(r: TestRampart, features: string[]): Promise<void> {
      const expiresAt = Math.floor(r.core.now().getTime() / 1000) + 365 * 86_400;
      const token = await new SignJWT({ tier: 'enterprise', features, customer_id: 'test', expires_at: expiresAt }).setProtectedHeader({ alg: 'EdDSA' }).setIssuedAt().sign(privateKey);
      await fleetServices(r.core).license.install(token, null);
    },
  };
}

/** SPCs for the agents' tests: compact JWS (EdDSA) signed by a throwaway Ed25519 signer, as the policy part issues them. */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface TestSigner {
  kid: string;
  privateKey: KeyObject;
  /** The anchor as GET /v1/trust/anchors lists it (raw public key, base64). */
  anchor: { kid: string; alg: 'Ed25519'; public_key: string; state: string };
  anchorPem: { kid: string; alg: 'Ed25519'; public_key: string; state: string };
}

export function testSigner(kid = `kid-${Math.random().toString(36).slice(2, 8)}`): TestSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
  return {
    kid,
    privateKey,
    anchor: { kid, alg: 'Ed25519', public_key: raw, state: 'active' },
    anchorPem: { kid, alg: 'Ed25519', public_key: publicKey.export({ format: 'pem', type: 'spki' }).toString(), state: 'active' },
  };
}

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signSpc(signer: TestSigner, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const signingInput = `${segment({ alg: 'EdDSA', typ: 'JWT', kid: signer.kid, ...header })}.${segment(claims)}`;
  return `${signingInput}.${sign(null, Buffer.from(signingInput), signer.privateKey).toString('base64url')}`;
}

/** Claims of an SPC for a device, valid for `ttlS` seconds from now. */
export function spcClaims(deviceId: string, publicKey: string, ttlS = 3600, serial = `spc-${Math.random().toString(36).slice(2)}`) {
  const now = Math.floor(Date.now() / 1000);
  return { serial, device_id: deviceId, user_id: 'u1', device_public_key: publicKey, group_ids: ['eng'], not_before: new Date((now - 5) * 1000).toISOString(), expires_at: new Date((now + ttlS) * 1000).toISOString() };
}

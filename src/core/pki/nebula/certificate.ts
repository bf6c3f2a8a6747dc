/** Version-independent operations: each picks the v1 (protobuf) or v2 (ASN.1) implementation. */
import { createHash } from 'node:crypto';
import { errors } from '../../errors.js';
import { fingerprintV1, marshalCertificateV1, signV1, unmarshalCertificateV1, verifyV1 } from './cert-v1.js';
import { fingerprintV2, marshalCertificateV2, signV2, unmarshalCertificateV2, verifyV2 } from './cert-v2.js';
import { assertWithinCa } from './constraints.js';
import { BANNERS, fromPem, toPem } from './pem.js';
import type { CertificateDetails, CertificateVersion, NebulaCertificate } from './types.js';

const codecs = {
  1: { marshal: marshalCertificateV1, unmarshal: unmarshalCertificateV1, sign: signV1, verify: verifyV1, fingerprint: fingerprintV1, banner: BANNERS.certificateV1 },
  2: { marshal: marshalCertificateV2, unmarshal: unmarshalCertificateV2, sign: signV2, verify: verifyV2, fingerprint: fingerprintV2, banner: BANNERS.certificateV2 },
} as const;

/**
 * The bytes a certificate was signed as, kept by the signer that wrote them (v1-host-signer.ts) so PEM and the
 * fingerprint of a new certificate marshal nothing again. Certificates are never changed in place (a changed one
 * is a new object), so an entry stays right for as long as its certificate lives.
 */
const marshalled = new WeakMap<NebulaCertificate, Uint8Array>();

export function rememberMarshalled(cert: NebulaCertificate, bytes: Uint8Array): void {
  marshalled.set(cert, bytes);
}

/** The certificate's wire bytes; callers must not modify them (they may be the kept copy). */
export const marshalCertificate = (cert: NebulaCertificate) => marshalled.get(cert) ?? codecs[cert.version].marshal(cert);

export function fingerprint(cert: NebulaCertificate): string {
  const bytes = marshalled.get(cert);
  return bytes ? createHash('sha256').update(bytes).digest('hex') : codecs[cert.version].fingerprint(cert);
}

export function signDetails(version: CertificateVersion, details: CertificateDetails, caPrivateKey: Uint8Array): NebulaCertificate {
  return codecs[version].sign(details, caPrivateKey);
}

/** True when `signerPublicKey` (the CA's ed25519 key) signed this certificate as it stands. */
export const verifySignature = (cert: NebulaCertificate, signerPublicKey: Uint8Array) => codecs[cert.version].verify(cert, signerPublicKey);

export const certificateToPem = (cert: NebulaCertificate) => toPem(codecs[cert.version].banner, marshalCertificate(cert));

export function certificateFromPem(pem: string): NebulaCertificate {
  const { banner, bytes } = fromPem(pem, [BANNERS.certificateV1, BANNERS.certificateV2]);
  return banner === BANNERS.certificateV1 ? unmarshalCertificateV1(bytes) : unmarshalCertificateV2(bytes);
}

/**
 * What `nebula-cert verify` checks: the CA is a CA, it issued and signed the certificate, both are valid at
 * `now`, and the certificate stays within the CA's validity, groups and networks. Throws naming the first failure.
 */
export function verifyCertificate(cert: NebulaCertificate, ca: NebulaCertificate, now = new Date()): void {
  const fail = (reason: string) => errors.badRequest(`certificate "${cert.details.name}" does not verify: ${reason}`);
  if (!ca.details.isCa) throw fail('the signer is not a CA certificate');
  if (cert.details.issuer !== fingerprint(ca)) throw fail('it was not issued by this CA');
  if (!verifySignature(cert, ca.details.publicKey)) throw fail('the signature does not match');
  const seconds = Math.floor(now.getTime() / 1000);
  for (const c of [ca, cert]) {
    if (seconds < c.details.notBefore || seconds > c.details.notAfter) throw fail(`"${c.details.name}" is not valid at ${now.toISOString()}`);
  }
  assertWithinCa(cert.details, ca.details, fail);
}

/** Native Nebula PKI: CAs, host certificates (v1 protobuf, v2 ASN.1), keys and PEM. HTTP-free, no storage. */
export { createCa, loadCa, type CreateCaInput, type NebulaCa } from './ca.js';
export { signHost, MIN_CA_REMAINING_SECONDS, type SignHostInput } from './sign.js';
export {
  certificateFromPem,
  certificateToPem,
  fingerprint,
  marshalCertificate,
  verifyCertificate,
  verifySignature,
} from './certificate.js';
export {
  caPrivateKeyFromPem,
  caPrivateKeyToPem,
  caPublicKeyToPem,
  generateCaKeyPair,
  generateHostKeyPair,
  hostPrivateKeyToPem,
  hostPublicKeyFromPem,
  hostPublicKeyToPem,
  type CaKeyPair,
  type HostKeyPair,
} from './keys.js';
export { Curve, type CertificateDetails, type CertificateVersion, type NebulaCertificate } from './types.js';

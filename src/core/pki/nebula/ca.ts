/** A network's certificate authority: a self-signed ed25519 CA certificate and its private key. */
import { errors } from '../../errors.js';
import { certificateFromPem, signDetails, verifySignature } from './certificate.js';
import { caPrivateKeyFromPem, caPublicKeyOf, generateCaKeyPair } from './keys.js';
import { assertName, unixSeconds } from './validation.js';
import { Curve, type CertificateVersion, type NebulaCertificate } from './types.js';

export interface NebulaCa {
  certificate: NebulaCertificate;
  /** 64 bytes, seed || public key (nebula's `NEBULA ED25519 PRIVATE KEY`). */
  privateKey: Uint8Array;
}

export interface CreateCaInput {
  name: string;
  /** From `now`; host certificates this CA signs can never outlive it. */
  validitySeconds: number;
  /** When listed, every host certificate's groups must be among them. */
  groups?: string[];
  /** When listed (CIDR), every host certificate's networks must lie inside one of them. */
  networks?: string[];
  version: CertificateVersion;
  now?: Date;
}

export function createCa(input: CreateCaInput): NebulaCa {
  assertName(input.name);
  if (!Number.isSafeInteger(input.validitySeconds) || input.validitySeconds <= 0) {
    throw errors.validation(`CA validity must be a positive number of seconds, got ${input.validitySeconds}`);
  }
  const keys = generateCaKeyPair();
  const notBefore = unixSeconds(input.now ?? new Date());
  const details = {
    name: input.name,
    networks: input.networks ?? [],
    unsafeNetworks: [],
    groups: input.groups ?? [],
    notBefore,
    notAfter: notBefore + input.validitySeconds,
    publicKey: keys.publicKey,
    isCa: true,
    issuer: '',
    curve: Curve.CURVE25519,
  };
  return { certificate: signDetails(input.version, details, keys.privateKey), privateKey: keys.privateKey };
}

/** A CA from its PEM files (e.g. made by `nebula-cert ca`): a self-signed CA certificate and the key that made it. */
export function loadCa(certificatePem: string, privateKeyPem: string): NebulaCa {
  const certificate = certificateFromPem(certificatePem);
  const privateKey = caPrivateKeyFromPem(privateKeyPem);
  const { isCa, publicKey } = certificate.details;
  if (!isCa || !verifySignature(certificate, publicKey)) throw errors.validation('the certificate is not a self-signed CA certificate');
  if (!Buffer.from(caPublicKeyOf(privateKey)).equals(publicKey)) throw errors.validation('the CA private key does not match the CA certificate');
  return { certificate, privateKey };
}

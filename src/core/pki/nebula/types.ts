/** The certificate model shared by the v1 (protobuf) and v2 (ASN.1) encodings. */

export type CertificateVersion = 1 | 2;

/** Nebula's curve enum; Rampart issues CURVE25519 only, P256 certificates still decode. */
export enum Curve {
  CURVE25519 = 0,
  P256 = 1,
}

export interface CertificateDetails {
  name: string;
  /** "address/prefix length", e.g. "10.42.0.5/24"; a host's own overlay addresses. */
  networks: string[];
  /** Networks the host may route for ("subnets" in v1). */
  unsafeNetworks: string[];
  groups: string[];
  /** Unix seconds, as both encodings store them. */
  notBefore: number;
  notAfter: number;
  /** ed25519 public key on a CA, X25519 public key on a host. */
  publicKey: Uint8Array;
  isCa: boolean;
  /** Hex sha256 fingerprint of the signing CA certificate; '' on a self-signed CA. */
  issuer: string;
  curve: Curve;
}

export interface NebulaCertificate {
  version: CertificateVersion;
  details: CertificateDetails;
  signature: Uint8Array;
}

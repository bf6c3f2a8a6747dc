/** Host certificates: signed by the network's CA, always inside what nebula will accept from that CA. */
import { errors } from '../../errors.js';
import type { NebulaCa } from './ca.js';
import { fingerprint, rememberMarshalled, signDetails } from './certificate.js';
import { assertWithinCa } from './constraints.js';
import { signHostV1Fast } from './v1-host-signer.js';
import { assertName, unixSeconds } from './validation.js';
import { Curve, type CertificateDetails, type CertificateVersion, type NebulaCertificate } from './types.js';

/** Below this much CA lifetime left, signing refuses: the certificates would be too short-lived to be useful. */
export const MIN_CA_REMAINING_SECONDS = 24 * 3600;

export interface SignHostInput {
  ca: NebulaCa;
  name: string;
  /** CIDR, the host's address with the network's prefix length: "10.42.0.5/24". */
  networks: string[];
  groups?: string[];
  /** The host's 32-byte X25519 public key. */
  publicKey: Uint8Array;
  /** Default: now. Moved up to the CA's notBefore if earlier. */
  notBefore?: Date;
  /** Clamped to one second before the CA expires, as `nebula-cert sign` does by default. */
  notAfter: Date;
  version: CertificateVersion;
  now?: Date;
}

/**
 * A CA's fingerprint, which every certificate it signs names as its issuer: computing it (marshal and sha256)
 * cost about a fifth of a signing, so it is kept per CA certificate (certificates are never changed in place).
 */
const caFingerprints = new WeakMap<NebulaCertificate, string>();
function issuerOf(caCertificate: NebulaCertificate): string {
  let known = caFingerprints.get(caCertificate);
  if (known === undefined) caFingerprints.set(caCertificate, (known = fingerprint(caCertificate)));
  return known;
}

export function signHost(input: SignHostInput): NebulaCertificate {
  const { ca, version } = input;
  const now = unixSeconds(input.now ?? new Date());
  assertCaCanSign(ca, version, now);
  assertName(input.name);
  if (input.publicKey?.length !== 32) throw errors.validation(`host public key must be 32 bytes (X25519), got ${input.publicKey?.length}`);
  if (!input.networks?.length) throw errors.validation('a host certificate needs at least one network');
  const validity = clampedValidity(input, ca.certificate.details, now);
  const groups = input.groups ?? [];
  if (version === 1) {
    const fast = signHostV1Fast(ca, issuerOf(ca.certificate), { ...validity, name: input.name, networks: input.networks, groups, publicKey: input.publicKey });
    if (fast) {
      rememberMarshalled(fast.certificate, fast.bytes);
      return fast.certificate;
    }
  }
  const details: CertificateDetails = {
    name: input.name,
    networks: input.networks,
    unsafeNetworks: [],
    groups,
    ...validity,
    publicKey: input.publicKey,
    isCa: false,
    issuer: issuerOf(ca.certificate),
    curve: Curve.CURVE25519,
  };
  assertWithinCa(details, ca.certificate.details, (reason) => errors.validation(`cannot sign "${input.name}": ${reason}`));
  return signDetails(version, details, ca.privateKey);
}

/** Same version as the CA: a v1 CA cannot sign v2, and nebula 1.6.1 cannot read anything a v2 CA issues. */
function assertCaCanSign(ca: NebulaCa, version: CertificateVersion, now: number): void {
  const { details } = ca.certificate;
  if (!details.isCa) throw errors.validation('the signing certificate is not a CA');
  if (ca.certificate.version !== version) {
    throw errors.validation(`a v${ca.certificate.version} CA signs v${ca.certificate.version} certificates; v${version} was requested`);
  }
  if (details.notAfter - now < MIN_CA_REMAINING_SECONDS) {
    const expiry = new Date(details.notAfter * 1000).toISOString();
    throw errors.badRequest(`the network's CA expires at ${expiry}; rotate the CA before signing more certificates`);
  }
}

function clampedValidity(input: SignHostInput, ca: CertificateDetails, now: number): { notBefore: number; notAfter: number } {
  const notBefore = Math.max(input.notBefore ? unixSeconds(input.notBefore) : now, ca.notBefore);
  const notAfter = Math.min(unixSeconds(input.notAfter), ca.notAfter - 1);
  if (notAfter <= notBefore) {
    throw errors.validation(`certificate validity is empty: notAfter ${new Date(notAfter * 1000).toISOString()} is not after notBefore ${new Date(notBefore * 1000).toISOString()}`);
  }
  return { notBefore, notAfter };
}

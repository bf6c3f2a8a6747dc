/**
 * Certificate v2 (nebula >= 1.10), ASN.1 DER with context-specific tags (cert/cert_v2.go):
 *   Certificate SEQUENCE (0x30) {
 *     details   [0] constructed (0xA0) -- the Details below, kept whole: signature and fingerprint cover these bytes
 *     curve     [1] (0x81) one byte, omitted for CURVE25519
 *     publicKey [2] (0x82)
 *     signature [3] (0x83)
 *   }
 *   Details [0] (0xA0) {
 *     name           [0] (0x80) UTF-8 bytes, 1..253
 *     networks       [1] (0xA1) SEQUENCE OF OCTET STRING (0x04): address (4 or 16 bytes) || prefix length, sorted
 *     unsafeNetworks [2] (0xA2) same, omitted when empty
 *     groups         [3] (0xA3) SEQUENCE OF UTF8String (0x0C), omitted when empty
 *     isCA           [4] (0x84) 0xFF, present only when true
 *     notBefore      [5] (0x85) INTEGER, unix seconds
 *     notAfter       [6] (0x86) INTEGER, unix seconds
 *     issuer         [7] (0x87) raw sha256 of the CA certificate, absent on a CA
 *   }
 * Signature: ed25519 over details || curve byte || publicKey.
 * Fingerprint: hex sha256 of details || curve byte || publicKey || signature (not of the DER certificate).
 */
import { createHash } from 'node:crypto';
import { errors } from '../../errors.js';
import { compareNetworks, formatNetwork, parseNetwork } from './network.js';
import { DerReader, derElement, derUnsignedInteger, parseDerUnsignedInteger } from './der.js';
import { signEd25519, verifyEd25519 } from './keys.js';
import { Curve, type CertificateDetails, type NebulaCertificate } from './types.js';

const SEQUENCE = 0x30;
const OCTET_STRING = 0x04;
const UTF8_STRING = 0x0c;
const CERT = { details: 0xa0, curve: 0x81, publicKey: 0x82, signature: 0x83 } as const;
const DETAILS = { name: 0x80, networks: 0xa1, unsafeNetworks: 0xa2, groups: 0xa3, isCa: 0x84, notBefore: 0x85, notAfter: 0x86, issuer: 0x87 } as const;
const MAX_CERTIFICATE_BYTES = 65536;
const MAX_NAME_BYTES = 253;
const utf8 = (text: string) => Buffer.from(text, 'utf8');
const none = new Uint8Array();

/** The [0] Details element; the key, curve and signature live outside it. */
export function marshalDetailsV2(d: CertificateDetails): Uint8Array {
  return derElement(
    CERT.details,
    derElement(DETAILS.name, utf8(d.name)),
    networksElement(DETAILS.networks, d.networks),
    networksElement(DETAILS.unsafeNetworks, d.unsafeNetworks),
    d.groups.length ? derElement(DETAILS.groups, ...d.groups.map((g) => derElement(UTF8_STRING, utf8(g)))) : none,
    d.isCa ? derElement(DETAILS.isCa, Uint8Array.of(0xff)) : none,
    derElement(DETAILS.notBefore, derUnsignedInteger(d.notBefore)),
    derElement(DETAILS.notAfter, derUnsignedInteger(d.notAfter)),
    d.issuer ? derElement(DETAILS.issuer, Buffer.from(d.issuer, 'hex')) : none,
  );
}

export function marshalCertificateV2(cert: NebulaCertificate): Uint8Array {
  const { curve, publicKey } = cert.details;
  return derElement(
    SEQUENCE,
    marshalDetailsV2(cert.details),
    curve !== Curve.CURVE25519 ? derElement(CERT.curve, Uint8Array.of(curve)) : none,
    derElement(CERT.publicKey, publicKey),
    derElement(CERT.signature, cert.signature),
  );
}

export function unmarshalCertificateV2(bytes: Uint8Array): NebulaCertificate {
  if (bytes.length === 0 || bytes.length > MAX_CERTIFICATE_BYTES) throw malformed(`size ${bytes.length} bytes`);
  const outer = new DerReader(bytes);
  const cert = new DerReader(outer.read(SEQUENCE));
  const rawDetails = cert.readElement(CERT.details);
  const curve = (cert.optional(CERT.curve)?.[0] ?? Curve.CURVE25519) as Curve;
  const publicKey = cert.read(CERT.publicKey);
  const signature = cert.read(CERT.signature);
  const details = { ...unmarshalDetailsV2(rawDetails), publicKey, curve };
  // Signature and fingerprint cover the bytes as sent; refusing other encodings of the same details keeps
  // re-marshalling (what verifyV2 and fingerprintV2 do) equal to them.
  if (!Buffer.from(marshalDetailsV2(details)).equals(rawDetails)) throw malformed('details are not in canonical DER');
  return { version: 2, details, signature };
}

/** Networks come back sorted, as the encoding stores them, so the certificate equals its decoded form. */
export function signV2(details: CertificateDetails, caPrivateKey: Uint8Array): NebulaCertificate {
  const sorted = { ...details, networks: sortedCidrs(details.networks), unsafeNetworks: sortedCidrs(details.unsafeNetworks) };
  return { version: 2, details: sorted, signature: signEd25519(signedBytes(sorted), caPrivateKey) };
}

export function verifyV2(cert: NebulaCertificate, caPublicKey: Uint8Array): boolean {
  return cert.details.curve === Curve.CURVE25519 && verifyEd25519(signedBytes(cert.details), cert.signature, caPublicKey);
}

export function fingerprintV2(cert: NebulaCertificate): string {
  return createHash('sha256').update(signedBytes(cert.details)).update(cert.signature).digest('hex');
}

function signedBytes(d: CertificateDetails): Uint8Array {
  return Buffer.concat([marshalDetailsV2(d), Uint8Array.of(d.curve), d.publicKey]);
}

function networksElement(tag: number, cidrs: string[]): Uint8Array {
  if (cidrs.length === 0) return none;
  const sorted = cidrs.map(parseNetwork).sort(compareNetworks);
  return derElement(tag, ...sorted.map((n) => derElement(OCTET_STRING, n.address, Uint8Array.of(n.bits))));
}

const sortedCidrs = (cidrs: string[]) => cidrs.map(parseNetwork).sort(compareNetworks).map(formatNetwork);

function unmarshalDetailsV2(rawDetails: Uint8Array): Omit<CertificateDetails, 'publicKey' | 'curve'> {
  const r = new DerReader(new DerReader(rawDetails).read(CERT.details));
  const name = Buffer.from(r.read(DETAILS.name)).toString('utf8');
  if (name.length === 0 || Buffer.byteLength(name) > MAX_NAME_BYTES) throw malformed('name must be 1 to 253 bytes');
  const networks = readNetworks(r.optional(DETAILS.networks));
  const unsafeNetworks = readNetworks(r.optional(DETAILS.unsafeNetworks));
  const groups = readSequence(r.optional(DETAILS.groups), UTF8_STRING).map((g) => Buffer.from(g).toString('utf8'));
  const isCa = readIsCa(r.optional(DETAILS.isCa));
  const notBefore = parseDerUnsignedInteger(r.read(DETAILS.notBefore));
  const notAfter = parseDerUnsignedInteger(r.read(DETAILS.notAfter));
  const issuer = Buffer.from(r.optional(DETAILS.issuer) ?? none).toString('hex');
  return { name, networks, unsafeNetworks, groups, isCa, notBefore, notAfter, issuer };
}

function readNetworks(content: Uint8Array | undefined): string[] {
  return readSequence(content, OCTET_STRING).map((value) => {
    if (value.length !== 5 && value.length !== 17) throw malformed(`network of ${value.length} bytes`);
    const network = { address: value.subarray(0, value.length - 1), bits: value[value.length - 1] };
    if (network.bits > network.address.length * 8) throw malformed(`prefix length ${network.bits}`);
    return formatNetwork(network);
  });
}

function readSequence(content: Uint8Array | undefined, tag: number): Uint8Array[] {
  const items: Uint8Array[] = [];
  for (const r = new DerReader(content ?? none); !r.empty(); ) items.push(r.read(tag));
  return items;
}

function readIsCa(content: Uint8Array | undefined): boolean {
  if (content === undefined) return false;
  if (content.length !== 1 || content[0] !== 0xff) throw malformed('isCA must be 0xFF when present');
  return true;
}

const malformed = (reason: string) => errors.badRequest(`malformed Nebula certificate (v2): ${reason}`);

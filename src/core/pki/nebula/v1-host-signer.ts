/**
 * The fast path for the common signing: a v1 host certificate with IPv4 networks, inside its CA's limits.
 *
 * A server signs many certificates with one CA, so everything that depends only on the CA is worked out once per
 * CA and kept (its imported key, its fingerprint as raw bytes, its networks as numbers, its groups as a set), and
 * the details are written straight into one reused buffer in the byte order Go's protobuf encoder uses, with no
 * intermediate writer or arrays. The signature then goes into the certificate's own buffer, which is kept beside
 * the certificate so turning it into PEM or a fingerprint marshals nothing again.
 *
 * Anything unusual (IPv6, a network written oddly, a group or network outside the CA, a name over 127 bytes)
 * returns undefined and the caller takes the general path, which checks everything and names the problem: this
 * path never decides that input is bad, so both paths accept and produce exactly the same certificates.
 */
import { sign, type KeyObject } from 'node:crypto';
import type { NebulaCa } from './ca.js';
import { importedCaKey } from './keys.js';
import { Curve, type NebulaCertificate } from './types.js';

/** What signing with one CA needs that does not change between certificates. */
interface CaSigner {
  privateKey: Uint8Array;
  key: KeyObject;
  /** The CA's fingerprint: hex for the details object, raw for the wire. */
  issuerHex: string;
  issuer: Buffer;
  /** The CA's IPv4 networks as (address, mask, bits); `limited` when the CA lists any network at all. */
  networks: { address: number; mask: number; bits: number }[];
  networksLimited: boolean;
  groups: Set<string> | undefined;
}

const signers = new WeakMap<NebulaCa['certificate'], CaSigner>();

/** Keys of the details fields (field number << 3 | wire type), as one byte each. */
const KEY = { name: 0x0a, ips: 0x12, groups: 0x22, notBefore: 0x28, notAfter: 0x30, publicKey: 0x3a, issuer: 0x4a } as const;
/** Field 1 (details) and field 2 (signature), both length-delimited, of the certificate message. */
const CERT_DETAILS_KEY = 0x0a;
const CERT_SIGNATURE_KEY = 0x12;
const SIGNATURE_BYTES = 64;
/** Longer strings take two length bytes; rare enough to leave to the general path. */
const MAX_ONE_BYTE_LENGTH = 127;

/** Reused for every signing: details are written here, then copied once into the certificate's own buffer. */
let scratch = Buffer.allocUnsafe(1024);

export interface FastHostInput {
  name: string;
  networks: string[];
  groups: string[];
  publicKey: Uint8Array;
  notBefore: number;
  notAfter: number;
}

export interface FastSigned {
  certificate: NebulaCertificate;
  /** The marshalled certificate (details and signature), which `certificate` was signed as. */
  bytes: Uint8Array;
}

/** The signed certificate, or undefined when the input is not the common case (the caller then signs generally). */
export function signHostV1Fast(ca: NebulaCa, issuerHex: string, input: FastHostInput): FastSigned | undefined {
  const signer = signerFor(ca, issuerHex);
  const detailsLength = writeDetails(signer, input);
  if (detailsLength < 0) return undefined;
  const header = detailsLength > MAX_ONE_BYTE_LENGTH ? 3 : 2;
  const bytes = new Uint8Array(header + detailsLength + 2 + SIGNATURE_BYTES);
  bytes[0] = CERT_DETAILS_KEY;
  if (header === 2) bytes[1] = detailsLength;
  else [bytes[1], bytes[2]] = [(detailsLength & 0x7f) | 0x80, detailsLength >> 7];
  bytes.set(scratch.subarray(0, detailsLength), header);
  const details = bytes.subarray(header, header + detailsLength);
  const signatureAt = header + detailsLength + 2;
  [bytes[signatureAt - 2], bytes[signatureAt - 1]] = [CERT_SIGNATURE_KEY, SIGNATURE_BYTES];
  bytes.set(sign(null, details, signer.key), signatureAt);
  const certificate: NebulaCertificate = {
    version: 1,
    details: {
      name: input.name,
      networks: input.networks,
      unsafeNetworks: [],
      groups: input.groups,
      notBefore: input.notBefore,
      notAfter: input.notAfter,
      publicKey: input.publicKey,
      isCa: false,
      issuer: issuerHex,
      curve: Curve.CURVE25519,
    },
    signature: bytes.subarray(signatureAt),
  };
  return { certificate, bytes };
}

function signerFor(ca: NebulaCa, issuerHex: string): CaSigner {
  const known = signers.get(ca.certificate);
  if (known && known.privateKey === ca.privateKey) return known;
  const { details } = ca.certificate;
  const networks = details.networks.flatMap((cidr) => {
    const parsed = parseIpv4Network(cidr);
    return parsed ? [parsed] : [];
  });
  const signer: CaSigner = {
    privateKey: ca.privateKey,
    key: importedCaKey(ca.privateKey),
    issuerHex,
    issuer: Buffer.from(issuerHex, 'hex'),
    networks,
    networksLimited: details.networks.length > 0,
    groups: details.groups.length > 0 ? new Set(details.groups) : undefined,
  };
  signers.set(ca.certificate, signer);
  return signer;
}

/**
 * Writes the details message into `scratch` as Go marshals it (fields in number order, zero values left out:
 * subnets, isCa and curve CURVE25519 never appear on a host certificate here). Its length, or -1 to decline.
 */
function writeDetails(signer: CaSigner, input: FastHostInput): number {
  const { name, networks, groups } = input;
  // Worst case per character is 3 UTF-8 bytes; varints and keys are bounded by 16 bytes per field.
  let bound = 3 * name.length + 11 * networks.length + 16 * 6 + 32 + 32;
  for (const group of groups) bound += 3 * group.length + 2;
  if (scratch.length < bound) scratch = Buffer.allocUnsafe(2 * bound);
  const out = scratch;
  let at = writeString(out, 0, KEY.name, name);
  if (at < 0) return -1;
  at = writeNetworks(out, at, signer, networks);
  if (at < 0) return -1;
  for (const group of groups) {
    if (signer.groups && !signer.groups.has(group)) return -1;
    at = writeString(out, at, KEY.groups, group);
    if (at < 0) return -1;
  }
  out[at++] = KEY.notBefore;
  at = writeVarint(out, at, input.notBefore);
  out[at++] = KEY.notAfter;
  at = writeVarint(out, at, input.notAfter);
  out[at++] = KEY.publicKey;
  out[at++] = input.publicKey.length;
  out.set(input.publicKey, at);
  at += input.publicKey.length;
  out[at++] = KEY.issuer;
  out[at++] = signer.issuer.length;
  signer.issuer.copy(out, at);
  return at + signer.issuer.length;
}

/** A length-delimited string of at most 127 bytes (one length byte); empty strings decline (Go would omit them). */
function writeString(out: Buffer, at: number, key: number, value: string): number {
  // The buffer has room for 3 bytes per UTF-16 unit (the most UTF-8 takes), so nothing is cut short.
  const length = out.write(value, at + 2, 'utf8');
  if (length === 0 || length > MAX_ONE_BYTE_LENGTH) return -1;
  out[at] = key;
  out[at + 1] = length;
  return at + 2 + length;
}

/** The packed (address, mask) pairs of field 2; -1 if a network is not plain IPv4 or lies outside the CA's. */
function writeNetworks(out: Buffer, at: number, signer: CaSigner, networks: string[]): number {
  if (networks.length === 0) return -1;
  out[at] = KEY.ips;
  const start = at + 2; // one length byte: at most 10 bytes per network, and a few networks per host
  let end = start;
  for (const cidr of networks) {
    const network = parseIpv4Network(cidr);
    if (!network || !withinCa(signer, network)) return -1;
    end = writeVarint(out, end, network.address);
    end = writeVarint(out, end, network.mask);
  }
  if (end - start > MAX_ONE_BYTE_LENGTH) return -1;
  out[at + 1] = end - start;
  return end;
}

function withinCa(signer: CaSigner, network: { address: number; bits: number }): boolean {
  if (!signer.networksLimited) return true;
  for (const allowed of signer.networks) {
    if (network.bits >= allowed.bits && ((network.address ^ allowed.address) & allowed.mask) === 0) return true;
  }
  return false;
}

/** Non-negative integers below 2^53. */
function writeVarint(out: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}

const [DOT, SLASH, ZERO, NINE] = [46, 47, 48, 57];

/**
 * "a.b.c.d/n" written the plain way (decimal octets without leading zeros, a prefix length of one or two digits
 * without a leading zero): the address and mask as unsigned 32-bit numbers. Anything else is undefined, and the
 * general parser decides.
 */
function parseIpv4Network(cidr: string): { address: number; mask: number; bits: number } | undefined {
  let address = 0;
  let at = 0;
  for (let octet = 0; octet < 4; octet++) {
    const value = readDecimal(cidr, at);
    if (value === undefined || value.value > 255) return undefined;
    at = value.end;
    if (cidr.charCodeAt(at++) !== (octet === 3 ? SLASH : DOT)) return undefined;
    address = address * 256 + value.value;
  }
  const bits = readDecimal(cidr, at);
  if (bits === undefined || bits.end !== cidr.length || bits.value > 32) return undefined;
  const mask = bits.value === 0 ? 0 : (0xffffffff << (32 - bits.value)) >>> 0;
  return { address, mask, bits: bits.value };
}

/** Up to three digits with no leading zero (a lone 0 is fine). */
function readDecimal(text: string, start: number): { value: number; end: number } | undefined {
  let value = 0;
  let at = start;
  while (at < text.length && at - start < 3) {
    const code = text.charCodeAt(at);
    if (code < ZERO || code > NINE) break;
    if (at > start && value === 0) return undefined;
    value = value * 10 + code - ZERO;
    at++;
  }
  return at === start ? undefined : { value, end: at };
}

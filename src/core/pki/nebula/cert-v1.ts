/**
 * Certificate v1, the protobuf format nebula 1.6.1 reads:
 *   RawNebulaCertificate        { Details = 1; bytes Signature = 2 }
 *   RawNebulaCertificateDetails { Name = 1; packed uint32 Ips = 2; packed uint32 Subnets = 3; Groups = 4;
 *                                 int64 NotBefore = 5; int64 NotAfter = 6; PublicKey = 7; IsCA = 8;
 *                                 Issuer = 9 (raw sha256 bytes); Curve = 100 }
 * IPv4 networks travel as (address, mask) pairs of big-endian uint32s. The signature is ed25519 over the
 * marshalled details; the fingerprint is sha256 of the marshalled certificate.
 */
import { createHash } from 'node:crypto';
import { errors } from '../../errors.js';
import { formatNetwork, parseNetwork } from './network.js';
import { readFields, uint32Values, ProtoWriter, type ProtoField } from './protobuf.js';
import { signEd25519, verifyEd25519 } from './keys.js';
import type { CertificateDetails, Curve, NebulaCertificate } from './types.js';

const CERT = { details: 1, signature: 2 } as const;
const DETAILS = { name: 1, ips: 2, subnets: 3, groups: 4, notBefore: 5, notAfter: 6, publicKey: 7, isCa: 8, issuer: 9, curve: 100 } as const;

export function marshalDetailsV1(d: CertificateDetails): Uint8Array {
  return new ProtoWriter()
    .string(DETAILS.name, d.name)
    .packedUint32(DETAILS.ips, ipv4Pairs(d.networks))
    .packedUint32(DETAILS.subnets, ipv4Pairs(d.unsafeNetworks))
    .repeatedString(DETAILS.groups, d.groups)
    .uint(DETAILS.notBefore, d.notBefore)
    .uint(DETAILS.notAfter, d.notAfter)
    .bytesField(DETAILS.publicKey, d.publicKey)
    .bool(DETAILS.isCa, d.isCa)
    .bytesField(DETAILS.issuer, Buffer.from(d.issuer, 'hex'))
    .uint(DETAILS.curve, d.curve)
    .finish();
}

export function marshalCertificateV1(cert: NebulaCertificate): Uint8Array {
  return new ProtoWriter()
    .message(CERT.details, marshalDetailsV1(cert.details))
    .bytesField(CERT.signature, cert.signature)
    .finish();
}

export function unmarshalCertificateV1(bytes: Uint8Array): NebulaCertificate {
  let [details, signature]: [CertificateDetails | undefined, Uint8Array] = [undefined, new Uint8Array()];
  for (const f of readFields(bytes)) {
    if (f.field === CERT.details) details = unmarshalDetailsV1(lengthDelimited(f));
    else if (f.field === CERT.signature) signature = lengthDelimited(f);
  }
  if (!details) throw malformed('no details');
  return { version: 1, details, signature };
}

export function signV1(details: CertificateDetails, caPrivateKey: Uint8Array): NebulaCertificate {
  return { version: 1, details, signature: signEd25519(marshalDetailsV1(details), caPrivateKey) };
}

export function verifyV1(cert: NebulaCertificate, caPublicKey: Uint8Array): boolean {
  return verifyEd25519(marshalDetailsV1(cert.details), cert.signature, caPublicKey);
}

export function fingerprintV1(cert: NebulaCertificate): string {
  return createHash('sha256').update(marshalCertificateV1(cert)).digest('hex');
}

function unmarshalDetailsV1(bytes: Uint8Array): CertificateDetails {
  const d: CertificateDetails = {
    name: '', networks: [], unsafeNetworks: [], groups: [], notBefore: 0, notAfter: 0,
    publicKey: new Uint8Array(), isCa: false, issuer: '', curve: 0,
  };
  const [ips, subnets]: number[][] = [[], []];
  for (const f of readFields(bytes)) {
    switch (f.field) {
      case DETAILS.name: d.name = utf8(f); break;
      case DETAILS.ips: ips.push(...uint32Values(f)); break;
      case DETAILS.subnets: subnets.push(...uint32Values(f)); break;
      case DETAILS.groups: d.groups.push(utf8(f)); break;
      case DETAILS.notBefore: d.notBefore = varint(f); break;
      case DETAILS.notAfter: d.notAfter = varint(f); break;
      case DETAILS.publicKey: d.publicKey = lengthDelimited(f); break;
      case DETAILS.isCa: d.isCa = varint(f) !== 0; break;
      case DETAILS.issuer: d.issuer = Buffer.from(lengthDelimited(f)).toString('hex'); break;
      case DETAILS.curve: d.curve = varint(f) as Curve; break;
    }
  }
  return { ...d, networks: networksFromPairs(ips, 'ips'), unsafeNetworks: networksFromPairs(subnets, 'subnets') };
}

function ipv4Pairs(networks: string[]): number[] {
  return networks.flatMap((cidr) => {
    const { address, bits } = parseNetwork(cidr);
    if (address.length !== 4) throw errors.validation(`v1 certificates carry IPv4 only, got ${cidr}; use v2 for IPv6`);
    return [Buffer.from(address).readUInt32BE(0), bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0];
  });
}

function networksFromPairs(values: number[], what: string): string[] {
  if (values.length % 2 !== 0) throw malformed(`${what} is not a list of (address, mask) pairs`);
  const networks: string[] = [];
  for (let i = 0; i < values.length; i += 2) {
    const address = Buffer.alloc(4);
    address.writeUInt32BE(values[i]);
    networks.push(formatNetwork({ address, bits: maskBits(values[i + 1]) }));
  }
  return networks;
}

function maskBits(mask: number): number {
  const bits = 32 - Math.log2(2 ** 32 - mask);
  if (!Number.isInteger(bits)) throw malformed(`mask ${mask.toString(16)} is not contiguous`);
  return bits;
}

function lengthDelimited(f: ProtoField): Uint8Array {
  if (f.wireType !== 2) throw malformed(`field ${f.field} should be length-delimited`);
  return f.value;
}

function varint(f: ProtoField): number {
  if (f.wireType !== 0) throw malformed(`field ${f.field} should be a varint`);
  return f.value;
}

const utf8 = (f: ProtoField) => Buffer.from(lengthDelimited(f)).toString('utf8');
const malformed = (reason: string) => errors.badRequest(`malformed Nebula certificate (v1): ${reason}`);

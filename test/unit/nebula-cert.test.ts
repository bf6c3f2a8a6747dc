import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { RampartError } from '../../src/core/errors.js';
import { marshalCertificateV1, marshalDetailsV1, unmarshalCertificateV1 } from '../../src/core/pki/nebula/cert-v1.js';
import { marshalCertificateV2, marshalDetailsV2, unmarshalCertificateV2 } from '../../src/core/pki/nebula/cert-v2.js';
import { marshalCertificate } from '../../src/core/pki/nebula/certificate.js';
import {
  caPrivateKeyFromPem,
  caPrivateKeyToPem,
  certificateFromPem,
  certificateToPem,
  createCa,
  Curve,
  fingerprint,
  generateCaKeyPair,
  generateHostKeyPair,
  hostPublicKeyFromPem,
  hostPublicKeyToPem,
  loadCa,
  signHost,
  verifyCertificate,
  verifySignature,
  type CertificateDetails,
  type CertificateVersion,
  type NebulaCertificate,
} from '../../src/core/pki/nebula/index.js';

const DAY = 86400;
const NOW = new Date('2026-01-01T00:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const key = (byte: number) => new Uint8Array(32).fill(byte);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const example: CertificateDetails = {
  name: 'a',
  networks: ['10.100.0.5/24'],
  unsafeNetworks: [],
  groups: ['g'],
  notBefore: 1,
  notAfter: 300,
  publicKey: key(1),
  isCa: false,
  issuer: 'ab'.repeat(32),
  curve: Curve.CURVE25519,
};

function network(version: CertificateVersion, caOverrides: { groups?: string[]; networks?: string[]; validityDays?: number } = {}) {
  const ca = createCa({
    name: 'Rampart test CA',
    validitySeconds: (caOverrides.validityDays ?? 730) * DAY,
    groups: caOverrides.groups,
    networks: caOverrides.networks,
    version,
    now: NOW,
  });
  const host = (overrides: Partial<Parameters<typeof signHost>[0]> = {}) =>
    signHost({
      ca,
      name: 'web1',
      networks: ['10.42.0.5/24'],
      groups: ['web'],
      publicKey: generateHostKeyPair().publicKey,
      notAfter: new Date(NOW.getTime() + 365 * DAY * 1000),
      version,
      now: NOW,
      ...overrides,
    });
  return { ca, host };
}

function rampartError(code: string, message: RegExp) {
  return (err: unknown) => err instanceof RampartError && err.code === code && message.test(err.message);
}

describe('v1 protobuf encoding', () => {
  test('details marshal byte for byte as Go does: number order, packed ips, zero values omitted', () => {
    const expected =
      '0a0161' + // name = "a"
      '1209' + '85809053' + '80feffff0f' + // ips packed: 10.100.0.5, 255.255.255.0
      '220167' + // groups = ["g"]
      '2801' + '30ac02' + // notBefore 1, notAfter 300
      '3a20' + '01'.repeat(32) + // publicKey
      '4a20' + 'ab'.repeat(32); // issuer; isCa false and curve 0 are omitted
    assert.equal(hex(marshalDetailsV1(example)), expected);
  });

  test('isCa, curve P256 and subnets appear when set, each in its field-number slot; curve is field 100', () => {
    const bytes = hex(marshalDetailsV1({ ...example, isCa: true, curve: Curve.P256, unsafeNetworks: ['192.168.1.0/24'] }));
    const subnets = '1a0a' + '8082a0850c' + '80feffff0f'; // field 3, packed: 192.168.1.0, 255.255.255.0
    assert.ok(bytes.startsWith('0a0161' + '1209' + '85809053' + '80feffff0f' + subnets + '220167'));
    assert.ok(bytes.endsWith('3a20' + '01'.repeat(32) + '4001' + '4a20' + 'ab'.repeat(32) + 'a00601'), 'IsCA = 1, Issuer, then Curve = 1 under key 0xa0 0x06');
  });

  test('the certificate is details (field 1) then signature (field 2); decoding gives the same certificate', () => {
    const cert: NebulaCertificate = { version: 1, details: example, signature: key(9) };
    const bytes = marshalCertificateV1(cert);
    assert.equal(hex(bytes), '0a5a' + hex(marshalDetailsV1(example)) + '1220' + '09'.repeat(32));
    const decoded = unmarshalCertificateV1(bytes);
    assert.deepEqual({ ...decoded.details, publicKey: hex(decoded.details.publicKey) }, { ...example, publicKey: hex(example.publicKey) });
    assert.equal(hex(decoded.signature), hex(cert.signature));
  });

  test('repeated uint32 sent unpacked decodes like packed, as proto3 requires', () => {
    const unpackedIps = Buffer.from('0a0e' + '0a0161' + '1085809053' + '1080feffff0f', 'hex');
    assert.deepEqual(unmarshalCertificateV1(unpackedIps).details.networks, ['10.100.0.5/24']);
  });

  test('malformed input is a 400 naming the problem', () => {
    const bytes = marshalCertificateV1({ version: 1, details: example, signature: key(9) });
    assert.throws(() => unmarshalCertificateV1(bytes.subarray(0, 20)), rampartError('bad_request', /truncated/));
    assert.throws(() => unmarshalCertificateV1(Buffer.from('0a03120101', 'hex')), rampartError('bad_request', /pairs/));
    assert.throws(() => unmarshalCertificateV1(Buffer.from('1220' + '00'.repeat(32), 'hex')), rampartError('bad_request', /no details/));
  });

  test('IPv6 cannot travel in v1', () => {
    assert.throws(() => marshalDetailsV1({ ...example, networks: ['fd00::1/64'] }), rampartError('validation_failed', /IPv4 only/));
  });
});

describe('v1 certificates', () => {
  test('sign, PEM and back: same certificate, signature verifies, fingerprint is sha256 of the marshalled cert', () => {
    const { ca, host } = network(1, { groups: ['web', 'db'], networks: ['10.42.0.0/16'] });
    const cert = host();
    const pem = certificateToPem(cert);
    assert.match(pem, /^-----BEGIN NEBULA CERTIFICATE-----\n([A-Za-z0-9+/]{64}\n)+[A-Za-z0-9+/=]{1,64}\n-----END NEBULA CERTIFICATE-----\n$/);
    const decoded = certificateFromPem(pem);
    assert.deepEqual(decoded, { ...cert, details: { ...cert.details, publicKey: decoded.details.publicKey } });
    assert.equal(hex(decoded.details.publicKey), hex(cert.details.publicKey));
    assert.equal(fingerprint(decoded), createHash('sha256').update(marshalCertificateV1(cert)).digest('hex'));
    assert.equal(decoded.details.issuer, fingerprint(ca.certificate));
    assert.equal(verifySignature(decoded, ca.certificate.details.publicKey), true);
    verifyCertificate(decoded, ca.certificate, new Date(NOW.getTime() + 1000));
  });

  test('any change to the details breaks the signature', () => {
    const { ca, host } = network(1);
    const cert = host();
    const tampered = { ...cert, details: { ...cert.details, groups: ['admin'] } };
    assert.equal(verifySignature(tampered, ca.certificate.details.publicKey), false);
    assert.throws(() => verifyCertificate(tampered, ca.certificate, NOW), rampartError('bad_request', /signature/));
  });

  test('verifyCertificate refuses another CA and an expired certificate', () => {
    const { ca, host } = network(1);
    const other = network(1).ca;
    assert.throws(() => verifyCertificate(host(), other.certificate, NOW), rampartError('bad_request', /not issued by this CA/));
    const later = new Date(NOW.getTime() + 400 * DAY * 1000);
    assert.throws(() => verifyCertificate(host(), ca.certificate, later), rampartError('bad_request', /"web1" is not valid at 2027-02-05/));
  });
});

describe('v2 ASN.1 encoding', () => {
  test('field layout: context tags, sorted networks, isCA only when true, issuer only on hosts', () => {
    const details = { ...example, networks: ['fd00::5/64', '10.100.0.5/24'], groups: ['g'] };
    const expectedDetails =
      'a0' + '4d' +
      '8001' + '61' + // [0] name
      'a1' + '1a' + '0405' + '0a640005' + '18' + '0411' + 'fd00' + '00'.repeat(12) + '0005' + '40' + // [1] networks, IPv4 first
      'a303' + '0c0167' + // [3] groups: UTF8String
      '850101' + '8602012c' + // [5] notBefore 1, [6] notAfter 300
      '8720' + 'ab'.repeat(32); // [7] issuer
    assert.equal(hex(marshalDetailsV2(details)), expectedDetails);
    const ca = hex(marshalDetailsV2({ ...details, isCa: true, issuer: '', notAfter: 128 }));
    assert.ok(ca.includes('8401ff' + '850101' + '86020080'), 'isCA [4] = 0xFF; 128 needs a leading zero byte');
    assert.ok(!ca.includes('8720'), 'a CA carries no issuer');
  });

  test('the certificate is SEQUENCE { details, publicKey [2], signature [3] } with curve [1] only for P256', () => {
    const cert: NebulaCertificate = { version: 2, details: example, signature: new Uint8Array(64).fill(7) };
    const bytes = hex(marshalCertificateV2(cert));
    const details = hex(marshalDetailsV2(example));
    assert.equal(bytes, '30' + '81' + (details.length / 2 + 34 + 66).toString(16) + details + '8220' + '01'.repeat(32) + '8340' + '07'.repeat(64));
    assert.ok(hex(marshalCertificateV2({ ...cert, details: { ...example, curve: Curve.P256 } })).includes(details + '810101'));
  });

  test('sign and decode: same certificate; signature and fingerprint cover details || curve || publicKey (|| signature)', () => {
    const { ca, host } = network(2, { networks: ['10.42.0.0/16', 'fd42::/16'] });
    const cert = host({ networks: ['fd42::5/64', '10.42.0.5/24'] });
    const pem = certificateToPem(cert);
    assert.match(pem, /^-----BEGIN NEBULA CERTIFICATE V2-----\n/);
    const decoded = certificateFromPem(pem);
    assert.deepEqual(decoded.details.networks, ['10.42.0.5/24', 'fd42::5/64']);
    assert.deepEqual({ ...decoded.details, publicKey: hex(decoded.details.publicKey) }, { ...cert.details, publicKey: hex(cert.details.publicKey) });
    const signed = Buffer.concat([marshalDetailsV2(cert.details), Uint8Array.of(0), cert.details.publicKey]);
    assert.equal(fingerprint(decoded), createHash('sha256').update(signed).update(cert.signature).digest('hex'));
    assert.equal(verifySignature(decoded, ca.certificate.details.publicKey), true);
    verifyCertificate(decoded, ca.certificate, NOW);
    const tampered = { ...decoded, details: { ...decoded.details, publicKey: key(3) } };
    assert.equal(verifySignature(tampered, ca.certificate.details.publicKey), false, 'the public key is signed too');
  });

  test('non-canonical or malformed DER is refused', () => {
    const details = { ...example, networks: ['10.0.0.1/8', 'fd00::5/64'] };
    const bytes = hex(marshalCertificateV2({ version: 2, details, signature: key(7) }));
    const [v4, v6] = ['04050a00000108', '0411fd00' + '00'.repeat(12) + '000540'];
    assert.ok(bytes.includes(v4 + v6));
    const unsorted = Buffer.from(bytes.replace(v4 + v6, v6 + v4), 'hex');
    assert.throws(() => unmarshalCertificateV2(unsorted), rampartError('bad_request', /not in canonical DER/));
    const whole = Buffer.from(bytes, 'hex');
    assert.throws(() => unmarshalCertificateV2(whole.subarray(0, whole.length - 1)), rampartError('bad_request', /truncated/));
    const longFormShortLength = Buffer.from('308105' + 'a003800161', 'hex');
    assert.throws(() => unmarshalCertificateV2(longFormShortLength), rampartError('bad_request', /non-minimal length/));
  });
});

describe('signing host certificates', () => {
  test('validity is clamped to one second before the CA expires, and never starts before the CA', () => {
    const { ca, host } = network(1, { validityDays: 30 });
    const cert = host({ notBefore: new Date(NOW.getTime() - DAY * 1000) });
    assert.equal(cert.details.notAfter, ca.certificate.details.notAfter - 1);
    assert.equal(cert.details.notBefore, ca.certificate.details.notBefore);
    assert.equal(host({ notAfter: new Date((NOW_S + 10 * DAY) * 1000) }).details.notAfter, NOW_S + 10 * DAY);
  });

  test('a CA with less than a day left refuses, naming its expiry and the fix', () => {
    const { host } = network(1, { validityDays: 30 });
    const late = new Date((NOW_S + 29.5 * DAY) * 1000);
    assert.throws(() => host({ now: late }), rampartError('bad_request', /CA expires at 2026-01-31T00:00:00.000Z; rotate the CA/));
  });

  test('groups must be among the CA groups and networks inside the CA networks, when the CA lists any', () => {
    const { host } = network(1, { groups: ['web', 'db'], networks: ['10.42.0.0/16'] });
    assert.throws(() => host({ groups: ['web', 'admin'] }), rampartError('validation_failed', /groups admin are not among the CA's groups/));
    assert.throws(() => host({ networks: ['10.43.0.5/24'] }), rampartError('validation_failed', /networks 10.43.0.5\/24 are outside/));
    assert.throws(() => host({ networks: ['10.42.0.5/8'] }), rampartError('validation_failed', /outside/), 'a wider prefix than the CA is outside it');
    const open = network(1);
    assert.deepEqual(open.host({ groups: ['anything'], networks: ['192.168.7.1/24'] }).details.groups, ['anything']);
  });

  test('the fast v1 path writes the bytes the general encoder writes; unusual input goes the general way to the same bytes', () => {
    const limited = network(1, { groups: ['web', 'db', 'grüppe'], networks: ['10.42.0.0/16', '192.168.0.0/24'] });
    const open = network(1);
    const cases: [string, ReturnType<typeof network>, Partial<Parameters<typeof signHost>[0]>][] = [
      ['plain', limited, {}],
      ['no groups, two networks', limited, { groups: [], networks: ['10.42.0.5/24', '192.168.0.9/24'] }],
      ['UTF-8 name and group', limited, { name: 'hôte-ü', groups: ['grüppe', 'web'] }],
      ['127-byte name (one length byte)', limited, { name: 'n'.repeat(127) }],
      ['200-byte name (general path)', limited, { name: 'n'.repeat(200) }],
      ['prefix written 024 (general path)', limited, { networks: ['10.42.0.5/024'] }],
      ['a /32 and a /0 inside an open CA', open, { networks: ['10.1.2.3/32', '0.0.0.0/0'], groups: ['any'] }],
    ];
    for (const [what, { ca, host }, overrides] of cases) {
      const cert = host(overrides);
      const kept = Buffer.from(marshalCertificate(cert));
      // A copy of the object is not the signed one: marshalled again from its details by the general encoder.
      assert.equal(kept.toString('hex'), Buffer.from(marshalCertificateV1({ ...cert })).toString('hex'), what);
      assert.equal(verifySignature(cert, ca.certificate.details.publicKey), true, what);
      const asked = (overrides.networks ?? ['10.42.0.5/24']).map((n) => n.replace('/024', '/24'));
      assert.deepEqual(certificateFromPem(certificateToPem(cert)).details.networks, asked, what);
      assert.equal(fingerprint(cert), createHash('sha256').update(kept).digest('hex'), what);
    }
  });

  test('bad input is a validation error', () => {
    const { host } = network(1);
    assert.throws(() => host({ networks: ['10.42.0.300/24'] }), rampartError('validation_failed', /CIDR/));
    assert.throws(() => host({ networks: [] }), rampartError('validation_failed', /at least one network/));
    assert.throws(() => host({ publicKey: new Uint8Array(31) }), rampartError('validation_failed', /32 bytes/));
    assert.throws(() => host({ name: '' }), rampartError('validation_failed', /name/));
    assert.throws(() => host({ version: 2 }), rampartError('validation_failed', /v1 CA signs v1/));
    assert.throws(() => host({ notAfter: new Date(NOW.getTime() - 1000) }), rampartError('validation_failed', /validity is empty/));
  });
});

describe('keys', () => {
  test('a CA private key is seed || public key (64 bytes) in a NEBULA ED25519 PRIVATE KEY block', () => {
    const pair = generateCaKeyPair();
    assert.equal(pair.privateKey.length, 64);
    assert.equal(hex(pair.privateKey.subarray(32)), hex(pair.publicKey));
    const pem = caPrivateKeyToPem(pair.privateKey);
    assert.match(pem, /^-----BEGIN NEBULA ED25519 PRIVATE KEY-----\n/);
    assert.equal(hex(caPrivateKeyFromPem(pem)), hex(pair.privateKey));
  });

  test('a client X25519 public key PEM parses; anything else is refused with a clear reason', () => {
    const { publicKey } = generateHostKeyPair();
    assert.equal(hex(hostPublicKeyFromPem(hostPublicKeyToPem(publicKey))), hex(publicKey));
    assert.throws(() => hostPublicKeyFromPem('c29tZSBrZXk='), rampartError('validation_failed', /must be PEM/));
    const ed = `-----BEGIN NEBULA ED25519 PUBLIC KEY-----\n${Buffer.from(key(1)).toString('base64')}\n-----END NEBULA ED25519 PUBLIC KEY-----\n`;
    assert.throws(() => hostPublicKeyFromPem(ed), rampartError('validation_failed', /expected PEM NEBULA X25519 PUBLIC KEY, got NEBULA ED25519 PUBLIC KEY/));
    const short = `-----BEGIN NEBULA X25519 PUBLIC KEY-----\n${Buffer.alloc(16).toString('base64')}\n-----END NEBULA X25519 PUBLIC KEY-----\n`;
    assert.throws(() => hostPublicKeyFromPem(short), rampartError('validation_failed', /32 bytes, got 16/));
  });

  test('loadCa refuses a private key that does not belong to the CA certificate', () => {
    const { ca } = network(1);
    const pem = certificateToPem(ca.certificate);
    assert.equal(loadCa(pem, caPrivateKeyToPem(ca.privateKey)).certificate.details.name, 'Rampart test CA');
    const stranger = generateCaKeyPair().privateKey;
    assert.throws(() => loadCa(pem, caPrivateKeyToPem(stranger)), rampartError('validation_failed', /does not match/));
  });
});

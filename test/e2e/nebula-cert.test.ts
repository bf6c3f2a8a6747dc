import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { marshalCertificate } from '../../src/core/pki/nebula/certificate.js';
import { BANNERS, toPem } from '../../src/core/pki/nebula/pem.js';
import {
  certificateFromPem,
  certificateToPem,
  createCa,
  fingerprint,
  generateHostKeyPair,
  hostPublicKeyFromPem,
  loadCa,
  signHost,
  verifyCertificate,
  verifySignature,
} from '../../src/core/pki/nebula/index.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';

const DAY_MS = 86400_000;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('Nebula certificates against the real nebula-cert (1.6.1)', { skip: skipUnlessPrograms('nebula-cert') }, () => {
  let dir: string;
  const path = (name: string) => join(dir, name);
  const nebulaCert = (...args: string[]) => spawnSync('nebula-cert', args, { cwd: dir, encoding: 'utf8' });
  const printJson = (file: string) => JSON.parse(execFileSync('nebula-cert', ['print', '-json', '-path', path(file)], { encoding: 'utf8' }));

  before(() => {
    requirePrograms('nebula-cert');
    dir = mkdtempSync(join(tmpdir(), 'rampart-nebula-cert-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The certificate of a PEM file with one byte of its signed public key flipped, as PEM again. */
  function tampered(file: string): string {
    const cert = certificateFromPem(readFileSync(path(file), 'utf8'));
    const bytes = Buffer.from(marshalCertificate(cert));
    bytes[bytes.indexOf(Buffer.from(cert.details.publicKey))] ^= 0xff;
    return toPem(BANNERS.certificateV1, bytes);
  }

  test('a Rampart CA and host certificate pass nebula-cert verify, and print shows what Rampart put in', () => {
    const ca = createCa({ name: 'Rampart CA', validitySeconds: 30 * 86400, groups: ['web', 'db'], networks: ['10.42.0.0/16'], version: 1 });
    const { publicKey } = generateHostKeyPair();
    const cert = signHost({ ca, name: 'node-a', networks: ['10.42.0.5/24'], groups: ['web', 'db'], publicKey, notAfter: new Date(Date.now() + 365 * DAY_MS), version: 1 });
    writeFileSync(path('ca.crt'), certificateToPem(ca.certificate));
    writeFileSync(path('host.crt'), certificateToPem(cert));

    const verified = nebulaCert('verify', '-ca', path('ca.crt'), '-crt', path('host.crt'));
    assert.equal(verified.status, 0, verified.stderr + verified.stdout);

    const printed = printJson('host.crt');
    assert.deepEqual(printed.details, {
      name: 'node-a',
      ips: ['10.42.0.5/24'],
      subnets: [],
      groups: ['web', 'db'],
      notBefore: new Date(cert.details.notBefore * 1000).toISOString().replace('.000', ''),
      notAfter: new Date((ca.certificate.details.notAfter - 1) * 1000).toISOString().replace('.000', ''),
      isCa: false,
      issuer: fingerprint(ca.certificate),
      publicKey: hex(publicKey),
    });
    assert.equal(printed.fingerprint, fingerprint(cert));
    assert.equal(printJson('ca.crt').details.isCa, true);
  });

  test('a CA and certificate made by nebula-cert decode byte for byte, verify natively, and a native-signed cert verifies there', () => {
    const run = (...args: string[]) => assert.equal(nebulaCert(...args).status, 0, args.join(' '));
    run('ca', '-name', 'Their CA', '-groups', 'web,db', '-ips', '10.50.0.0/16', '-duration', '48h', '-out-crt', path('their-ca.crt'), '-out-key', path('their-ca.key'));
    run('keygen', '-out-key', path('their.key'), '-out-pub', path('their.pub'));
    run('sign', '-name', 'node-b', '-ip', '10.50.1.9/24', '-groups', 'db', '-in-pub', path('their.pub'), '-ca-crt', path('their-ca.crt'), '-ca-key', path('their-ca.key'), '-out-crt', path('their.crt'));

    const caPem = readFileSync(path('their-ca.crt'), 'utf8');
    const certPem = readFileSync(path('their.crt'), 'utf8');
    const ca = certificateFromPem(caPem);
    const cert = certificateFromPem(certPem);
    assert.equal(certificateToPem(cert), certPem, 're-encoding reproduces Go\'s bytes exactly');
    assert.equal(certificateToPem(ca), caPem);
    assert.deepEqual([cert.details.name, cert.details.networks, cert.details.groups], ['node-b', ['10.50.1.9/24'], ['db']]);
    assert.equal(hex(cert.details.publicKey), hex(hostPublicKeyFromPem(readFileSync(path('their.pub'), 'utf8'))));
    assert.equal(fingerprint(cert), printJson('their.crt').fingerprint);
    assert.equal(verifySignature(cert, ca.details.publicKey), true);
    verifyCertificate(cert, ca);

    const theirCa = loadCa(caPem, readFileSync(path('their-ca.key'), 'utf8'));
    const native = signHost({ ca: theirCa, name: 'node-c', networks: ['10.50.2.1/24'], groups: ['web'], publicKey: generateHostKeyPair().publicKey, notAfter: new Date(Date.now() + DAY_MS), version: 1 });
    writeFileSync(path('native.crt'), certificateToPem(native));
    const verified = nebulaCert('verify', '-ca', path('their-ca.crt'), '-crt', path('native.crt'));
    assert.equal(verified.status, 0, verified.stderr + verified.stdout);
  });

  // Uses the files the two tests above wrote (tests in a describe run in order).
  test('a tampered certificate fails nebula-cert verify and native verification alike', () => {
    for (const [caFile, certFile] of [['ca.crt', 'host.crt'], ['their-ca.crt', 'their.crt']]) {
      const ca = certificateFromPem(readFileSync(path(caFile), 'utf8'));
      const tamperedPem = tampered(certFile);
      writeFileSync(path('tampered.crt'), tamperedPem);

      const verified = nebulaCert('verify', '-ca', path(caFile), '-crt', path('tampered.crt'));
      assert.notEqual(verified.status, 0, `${certFile}: nebula-cert accepted a tampered certificate`);
      assert.match(verified.stderr + verified.stdout, /signature/i);
      assert.equal(verifySignature(certificateFromPem(tamperedPem), ca.details.publicKey), false);
    }
  });
});

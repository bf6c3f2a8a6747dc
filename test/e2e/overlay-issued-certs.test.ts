/**
 * Certificates issued through the API (POST /api/certificates/create and /sign) against Debian's nebula-cert
 * 1.6.1: they verify against the network's CA, and `print -json` shows what the API was asked for.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { requirePrograms, skipUnlessPrograms } from '../helpers/e2e.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

/** The X25519 public key (hex) of a `NEBULA X25519 PRIVATE KEY` PEM, through node:crypto (PKCS#8 around the raw scalar). */
function publicKeyHexOf(privatePem: string): string {
  const raw = pemBytes(privatePem);
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), raw]);
  const jwk = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url').toString('hex');
}
const pemBytes = (pem: string) => Buffer.from(pem.split('\n').filter((l) => l && !l.startsWith('-----')).join(''), 'base64');

/** nebula-cert prints RFC 3339 times without fractions. */
const rfc3339 = (iso: string) => iso.replace('.000', '');

describe('certificates issued by the API pass nebula-cert', { skip: skipUnlessPrograms('nebula-cert') }, () => {
  let r: TestRampart;
  let owner: SignedIn;
  let dir: string;
  const path = (name: string) => join(dir, name);
  const nebulaCert = (...args: string[]) => spawnSync('nebula-cert', args, { cwd: dir, encoding: 'utf8' });
  const printJson = (file: string) => JSON.parse(execFileSync('nebula-cert', ['print', '-json', '-path', path(file)], { encoding: 'utf8' }));

  before(async () => {
    requirePrograms('nebula-cert');
    dir = mkdtempSync(join(tmpdir(), 'rampart-issued-certs-'));
    r = await createTestRampart();
    owner = await signIn(r);
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await r.cleanup();
  });

  const call = (url: string, payload: object) => r.app.inject({ method: 'POST', url, headers: owner.headers, payload });

  test('create and sign: nebula-cert verify passes; print shows the name, ips, groups, validity and issuer', async () => {
    const net = await call('/api/networks', { name: 'e2e-certs', subnet_cidr: '10.77.0.0/16' });
    assert.equal(net.statusCode, 200, net.body);
    const networkId = net.json().id;
    const lh = await call('/api/certificates/create', { network_id: networkId, name: 'lighthouse-1', is_lighthouse: true, public_endpoint: '192.0.2.1:4242' });
    assert.equal(lh.statusCode, 200, lh.body);
    const created = await call('/api/certificates/create', { network_id: networkId, name: 'web-1.example', groups: ['web', 'prod'], suggested_ip: '10.77.3.9', duration_days: 90 });
    assert.equal(created.statusCode, 200, created.body);
    const body = created.json();
    writeFileSync(path('ca.crt'), body.ca_certificate);
    writeFileSync(path('host.crt'), body.certificate);
    writeFileSync(path('host.key'), body.private_key);

    const verified = nebulaCert('verify', '-ca', path('ca.crt'), '-crt', path('host.crt'));
    assert.equal(verified.status, 0, verified.stderr + verified.stdout);

    const listed = (await r.app.inject({ method: 'GET', url: `/api/certificates?network_id=${networkId}`, headers: owner.headers })).json();
    const record = listed.find((c: any) => c.node_id === body.node_id);
    const printed = printJson('host.crt');
    const ca = printJson('ca.crt');
    assert.equal(printed.details.name, 'web-1.example');
    assert.deepEqual(printed.details.ips, ['10.77.3.9/16']);
    assert.deepEqual(printed.details.groups, ['web', 'prod']);
    assert.equal(printed.details.isCa, false);
    assert.equal(printed.details.issuer, ca.fingerprint);
    assert.equal(printed.details.notAfter, rfc3339(record.expires_at));
    const days = (Date.parse(printed.details.notAfter) - Date.parse(printed.details.notBefore)) / 86_400_000;
    assert.ok(Math.abs(days - 90) < 0.01, `validity is ${days} days`);
    assert.equal(printed.fingerprint, record.fingerprint);

    // The private key the API returned is the one the certificate's public key belongs to.
    assert.equal(publicKeyHexOf(body.private_key), printed.details.publicKey);

    // A key made by nebula-cert, signed through /certificates/sign, verifies too.
    assert.equal(nebulaCert('keygen', '-out-key', path('byok.key'), '-out-pub', path('byok.pub')).status, 0);
    const signed = await call('/api/certificates/sign', { network_id: networkId, name: 'byok', group: 'db', public_key: readFileSync(path('byok.pub'), 'utf8') });
    assert.equal(signed.statusCode, 200, signed.body);
    writeFileSync(path('byok.crt'), signed.json().certificate);
    const byokVerified = nebulaCert('verify', '-ca', path('ca.crt'), '-crt', path('byok.crt'));
    assert.equal(byokVerified.status, 0, byokVerified.stderr + byokVerified.stdout);
    const byok = printJson('byok.crt');
    assert.deepEqual([byok.details.name, byok.details.groups, byok.details.ips], ['byok', ['db'], [`${signed.json().ip_address}/16`]]);
    assert.equal(byok.details.publicKey, pemBytes(readFileSync(path('byok.pub'), 'utf8')).toString('hex'));
  });
});

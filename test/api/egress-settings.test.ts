import assert from 'node:assert/strict';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { egressServices } from '../../src/modules/egress/egress.services.js';
import { PERFORMANCE_MODE_TOPIC } from '../../src/modules/egress/settings/performance-mode.js';
import { createTestRampart, type TestRampart } from '../helpers/app.js';
import { selfSigned } from '../helpers/egress-pki.js';
import { signIn, type SignedIn } from '../helpers/identity.js';

const PERF = '/api/v1/settings/performance-mode';
const CA = '/api/v1/settings/tls-intercept-ca';
const sha256 = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');

describe('egress runtime settings (/api/v1/settings)', () => {
  let r: TestRampart;
  let admin: SignedIn;
  let reader: SignedIn;
  /** Every response body, searched at the end for private key material. */
  const bodies: string[] = [];

  before(async () => {
    r = await createTestRampart();
    admin = await signIn(r, { roles: ['admin'] });
    reader = await signIn(r, { roles: ['readonly'] });
  });
  after(() => r.cleanup());

  async function call(method: string, url: string, who: SignedIn, payload?: unknown) {
    const res = await r.app.inject({ method: method as 'GET', url, headers: who.headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    bodies.push(res.body);
    return res;
  }

  describe('performance mode', () => {
    test('defaults to enabled with no source, and a readonly token may read it', async () => {
      const res = await call('GET', PERF, reader);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { enabled: true, source: null });
      await egressServices(r.core).performanceMode.assertEnabled();
    });

    test('only admin may change it; readonly gets 403 in the egress envelope', async () => {
      const res = await call('PUT', PERF, reader, { enabled: false });
      assert.equal(res.statusCode, 403);
      assert.equal(typeof res.json().error, 'string');
      assert.deepEqual((await call('GET', PERF, reader)).json(), { enabled: true, source: null });
    });

    test('PUT false disables it: source becomes local, assertEnabled throws 503, PUT true enables it again', async () => {
      const off = await call('PUT', PERF, admin, { enabled: false });
      assert.equal(off.statusCode, 200, off.body);
      assert.deepEqual(off.json(), { enabled: false, source: 'local' });
      assert.deepEqual((await call('GET', PERF, reader)).json(), { enabled: false, source: 'local' });
      await assert.rejects(egressServices(r.core).performanceMode.assertEnabled(), (err: any) => err.status === 503 && err.message === 'performance mode is disabled');
      const audit = await r.core.audit.list({ action: 'egress.settings.performance_mode', result: 'success' }, { limit: 5 });
      assert.equal(audit.items.length, 1);

      const on = await call('PUT', PERF, admin, { enabled: true });
      assert.deepEqual(on.json(), { enabled: true, source: 'local' });
      await egressServices(r.core).performanceMode.assertEnabled();
    });

    test('the value is cached in memory and dropped when the change event arrives (another node wrote it)', async () => {
      await r.core.db.kysely.updateTable('egress_settings').set({ value: r.core.db.dialect.toJson({ enabled: false }) }).where('key', '=', 'performance_mode').execute();
      assert.deepEqual((await call('GET', PERF, reader)).json(), { enabled: true, source: 'local' }, 'served from the cache');
      await r.core.events.publish(PERFORMANCE_MODE_TOPIC, { enabled: false });
      assert.deepEqual((await call('GET', PERF, reader)).json(), { enabled: false, source: 'local' }, 'reloaded after the event');
      await call('PUT', PERF, admin, { enabled: true });
    });

    test('a malformed body is a 400 with an error message', async () => {
      for (const payload of [{}, { enabled: 'yes' }]) {
        const res = await call('PUT', PERF, admin, payload);
        assert.equal(res.statusCode, 400, JSON.stringify(payload));
        assert.equal(typeof res.json().error, 'string');
      }
    });
  });

  describe('TLS-intercept CA', () => {
    test('unconfigured: status says so and the certificate download is 404', async () => {
      assert.deepEqual((await call('GET', CA, reader)).json(), { configured: false, source: null, fingerprint_sha256: null });
      const cert = await call('GET', `${CA}/cert`, reader);
      assert.equal(cert.statusCode, 404);
      assert.deepEqual(cert.json(), { error: 'no TLS intercept CA is configured' });
    });

    test('upload refuses both or neither key field, a non-CA certificate, a key of another certificate and junk', async () => {
      const ca = await selfSigned();
      const other = await selfSigned();
      const leaf = await selfSigned({ ca: false });
      const cases: [string, Record<string, unknown>, RegExp][] = [
        ['both keys', { ca_cert_pem: ca.certPem, ca_key_pem: ca.keyPem, ca_key_der_b64: ca.keyDer.toString('base64') }, /exactly one of ca_key_pem or ca_key_der_b64/],
        ['no key', { ca_cert_pem: ca.certPem }, /exactly one of ca_key_pem or ca_key_der_b64/],
        ['not a CA', { ca_cert_pem: leaf.certPem, ca_key_pem: leaf.keyPem }, /not a CA certificate/],
        ['mismatched key', { ca_cert_pem: ca.certPem, ca_key_pem: other.keyPem }, /does not match/],
        ['mismatched DER key', { ca_cert_pem: ca.certPem, ca_key_der_b64: other.keyDer.toString('base64') }, /does not match/],
        ['not base64', { ca_cert_pem: ca.certPem, ca_key_der_b64: '%%%' }, /not base64/],
        ['not a key', { ca_cert_pem: ca.certPem, ca_key_der_b64: Buffer.from('hello').toString('base64') }, /not a DER private key/],
        ['not a certificate', { ca_cert_pem: 'hello', ca_key_pem: ca.keyPem }, /ca_cert_pem/],
      ];
      for (const [name, payload, message] of cases) {
        const res = await call('PUT', CA, admin, payload);
        assert.equal(res.statusCode, 400, `${name}: ${res.body}`);
        assert.match(res.json().error, message, name);
      }
      assert.equal((await call('GET', CA, reader)).json().configured, false);
      assert.equal((await call('PUT', CA, reader, { ca_cert_pem: ca.certPem, ca_key_pem: ca.keyPem })).statusCode, 403);
    });

    test('upload with a PEM key: status shows the fingerprint, the certificate downloads as PEM, the key is sealed at rest', async () => {
      const ca = await selfSigned({ name: 'Operator CA' });
      const res = await call('PUT', CA, admin, { ca_cert_pem: ca.certPem, ca_key_pem: ca.keyPem });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { configured: true, source: 'local', fingerprint_sha256: sha256(ca.certPem) });
      assert.deepEqual((await call('GET', CA, reader)).json(), res.json());

      const cert = await call('GET', `${CA}/cert`, reader);
      assert.equal(cert.statusCode, 200);
      assert.match(String(cert.headers['content-type']), /^application\/x-pem-file/);
      assert.equal(sha256(cert.body), sha256(ca.certPem));

      const row = await r.core.db.kysely.selectFrom('egress_tls_intercept_ca').selectAll().executeTakeFirstOrThrow();
      assert.doesNotMatch(row.private_key_sealed, /PRIVATE KEY/);
      const opened = r.core.secrets.openString(row.private_key_sealed, 'egress_tls_intercept_ca.private_key_sealed');
      assert.ok(new X509Certificate(ca.certPem).checkPrivateKey(createPrivateKey(opened)));
    });

    test('upload with a base64 DER key replaces the CA', async () => {
      const ca = await selfSigned({ name: 'DER CA' });
      const res = await call('PUT', CA, admin, { ca_cert_pem: ca.certPem, ca_key_der_b64: ca.keyDer.toString('base64') });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().fingerprint_sha256, sha256(ca.certPem));
    });

    test('generate makes a new self-signed CA whose stored key matches its certificate', async () => {
      const before = (await call('GET', CA, reader)).json().fingerprint_sha256;
      const res = await call('POST', `${CA}/generate`, admin);
      assert.equal(res.statusCode, 200, res.body);
      const status = res.json();
      assert.equal(status.configured, true);
      assert.equal(status.source, 'local');
      assert.notEqual(status.fingerprint_sha256, before);

      const pem = (await call('GET', `${CA}/cert`, reader)).body;
      const cert = new X509Certificate(pem);
      assert.equal(cert.ca, true);
      assert.equal(cert.verify(cert.publicKey), true, 'self-signed');
      assert.equal(sha256(pem), status.fingerprint_sha256);
      const row = await r.core.db.kysely.selectFrom('egress_tls_intercept_ca').selectAll().executeTakeFirstOrThrow();
      assert.ok(cert.checkPrivateKey(createPrivateKey(r.core.secrets.openString(row.private_key_sealed, 'egress_tls_intercept_ca.private_key_sealed'))));
      assert.equal((await call('POST', `${CA}/generate`, reader)).statusCode, 403);
    });

    test("DELETE removes it and answers 200 with the status, as Neuwerk does; status and download follow", async () => {
      assert.equal((await call('DELETE', CA, reader)).statusCode, 403);
      const res = await call('DELETE', CA, admin);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { configured: false, source: null, fingerprint_sha256: null });
      assert.deepEqual((await call('GET', CA, reader)).json(), { configured: false, source: null, fingerprint_sha256: null });
      assert.equal((await call('GET', `${CA}/cert`, reader)).statusCode, 404);
    });

    test('no response ever carried a private key', () => {
      for (const body of bodies) assert.doesNotMatch(body, /PRIVATE KEY/);
    });
  });
});

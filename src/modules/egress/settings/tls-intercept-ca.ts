import { createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';
import { loadX509 } from '../../../core/pki/x509-generator.js';
import type { Core } from '../../../core/index.js';
import { errors } from '../../../core/errors.js';
import './settings.tables.js';
import { sealContext } from '../../../core/secrets/sealed-columns.js';
import { settingsSealedColumns } from './settings.sealed.js';
import { parseCertificates, sha256Fingerprint } from './x509.js';

export interface TlsCaStatus {
  configured: boolean;
  /** 'local' when a CA is stored, null when none is. */
  source: 'local' | null;
  fingerprint_sha256: string | null;
}

export interface TlsCaUpload {
  ca_cert_pem: string;
  ca_key_pem?: string;
  ca_key_der_b64?: string;
}

const ROW_ID = 'default';
const KEY_CONTEXT = sealContext(settingsSealedColumns.tlsCaKey);
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const GENERATED_VALIDITY_DAYS = 3_650;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The CA the TLS-intercept service would sign leaf certificates with. One per node; the private key is sealed
 * at rest and never leaves the server (only the certificate and its fingerprint do).
 */
export function createTlsInterceptCa(core: Pick<Core, 'db' | 'now' | 'secrets'>) {
  const { db } = core;
  const row = () => db.kysely.selectFrom('egress_tls_intercept_ca').selectAll().where('id', '=', ROW_ID).executeTakeFirst();

  async function save(certPem: string, key: KeyObject): Promise<TlsCaStatus> {
    const fingerprint = sha256Fingerprint(parseCertificates(certPem, 'ca_cert_pem')[0]);
    const values = {
      id: ROW_ID,
      certificate_pem: certPem,
      private_key_sealed: core.secrets.seal(key.export({ type: 'pkcs8', format: 'pem' }) as string, KEY_CONTEXT),
      fingerprint_sha256: fingerprint,
      created_at: core.now().toISOString(),
    };
    await db.kysely
      .insertInto('egress_tls_intercept_ca')
      .values(values)
      .onConflict((oc) => oc.column('id').doUpdateSet({ certificate_pem: values.certificate_pem, private_key_sealed: values.private_key_sealed, fingerprint_sha256: fingerprint, created_at: values.created_at }))
      .execute();
    return { configured: true, source: 'local', fingerprint_sha256: fingerprint };
  }

  return {
    async status(): Promise<TlsCaStatus> {
      const found = await row();
      return found ? { configured: true, source: 'local', fingerprint_sha256: found.fingerprint_sha256 } : { configured: false, source: null, fingerprint_sha256: null };
    },

    /** The CA certificate PEM; 404 when none is configured. */
    async certificatePem(): Promise<string> {
      const found = await row();
      if (!found) throw errors.notFound('no TLS intercept CA is configured');
      return found.certificate_pem;
    },

    /** Stores an operator's CA: a CA certificate and exactly one of ca_key_pem, ca_key_der_b64, which must match it. */
    async upload(input: TlsCaUpload): Promise<TlsCaStatus> {
      const hasPem = typeof input.ca_key_pem === 'string' && input.ca_key_pem !== '';
      const hasDer = typeof input.ca_key_der_b64 === 'string' && input.ca_key_der_b64 !== '';
      if (hasPem === hasDer) throw errors.validation('provide exactly one of ca_key_pem or ca_key_der_b64');
      const certs = parseCertificates(input.ca_cert_pem, 'ca_cert_pem');
      if (certs.length !== 1) throw errors.validation('ca_cert_pem must hold exactly one certificate');
      const [cert] = certs;
      if (!cert.ca) throw errors.validation('ca_cert_pem is not a CA certificate (basicConstraints CA:TRUE is missing)');
      const key = hasPem ? keyFromPem(input.ca_key_pem!) : keyFromDer(input.ca_key_der_b64!);
      if (!cert.checkPrivateKey(key)) throw errors.validation('the private key does not match the CA certificate');
      return save(cert.toString(), key);
    },

    /** Generates a self-signed ECDSA P-256 CA (ten years) and stores it, replacing any other. */
    async generate(): Promise<TlsCaStatus> {
      const { certPem, key } = await generateCa(core.now());
      return save(certPem, key);
    },

    async remove(): Promise<void> {
      await db.kysely.deleteFrom('egress_tls_intercept_ca').where('id', '=', ROW_ID).execute();
    },
  };
}

export type TlsInterceptCa = ReturnType<typeof createTlsInterceptCa>;

function keyFromPem(pem: string): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw errors.validation('ca_key_pem must be a PEM private key (-----BEGIN PRIVATE KEY-----)');
  if (/ENCRYPTED/.test(pem)) throw errors.validation('ca_key_pem must not be encrypted');
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw errors.validation('ca_key_pem is not a readable private key');
  }
}

/** PKCS#8 DER, or the older SEC1 (EC) and PKCS#1 (RSA) encodings. */
function keyFromDer(b64: string): KeyObject {
  const compact = b64.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw errors.validation('ca_key_der_b64 is not base64');
  const der = Buffer.from(compact, 'base64');
  for (const type of ['pkcs8', 'sec1', 'pkcs1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      // try the next encoding
    }
  }
  throw errors.validation('ca_key_der_b64 is not a DER private key (PKCS#8, SEC1 or PKCS#1)');
}

async function generateCa(now: Date): Promise<{ certPem: string; key: KeyObject }> {
  const x509 = await loadX509();
  const crypto = webcrypto as unknown as Crypto;
  const keys = (await crypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(now.getTime() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
      name: 'CN=Rampart TLS Intercept CA, O=Rampart',
      notBefore,
      notAfter: new Date(notBefore.getTime() + GENERATED_VALIDITY_DAYS * 86_400_000),
      keys,
      signingAlgorithm: ECDSA_P256,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { certPem: cert.toString('pem') + '\n', key: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }) };
}
